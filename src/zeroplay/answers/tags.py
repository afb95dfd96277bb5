"""XML-style tag parsing of model output (`<question>...</question>`), tolerant and linear-time.

The released VisPlay/MM-Zero code uses regular expressions for this (visplay.md §1.1, mm_zero.md
§2.1). Those patterns backtrack quadratically or worse on adversarial text (40 000 spaces take
~25 s in `re.sub(r"\\s*(<|>|/)\\s*", ...)`), so the same semantics are implemented here with plain
string scans that are O(len(text)).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from zeroplay.answers.parsed import Parsed

_DELIMITERS = "<>/"
# Alternating runs: group 1 is whitespace (same class as the regex `\s`), else non-whitespace.
_WHITESPACE_RUN = re.compile(r"(\s+)")


def collapse_tag_spacing(text: str) -> str:
    """Delete every whitespace run that touches a `<`, `>` or `/`: "< type >" becomes "<type>".

    Same result as the code's `re.sub(r"\\s*(<|>|/)\\s*", r"\\1", text)` (visplay.md §1.1 step 1),
    which also rewrites content ("1 / 2" becomes "1/2"), but linear in the text length.
    """
    pieces = _WHITESPACE_RUN.split(text)
    # split() with one capture group alternates: text, whitespace, text, ..., text.
    kept: list[str] = []
    for k, piece in enumerate(pieces):
        if k % 2 == 1:
            before, after = pieces[k - 1], pieces[k + 1]
            if (before and before[-1] in _DELIMITERS) or (after and after[0] in _DELIMITERS):
                continue
        kept.append(piece)
    return "".join(kept)


def parse_ordered_tags(
    text: str,
    tags: Sequence[str],
    *,
    collapse_spacing: bool = True,
    require_nonempty: bool = True,
) -> Parsed[dict[str, str]]:
    """The first `<t1>..</t1> .. <t2>..</t2> ..` chain, values stripped; VisPlay's questioner parse.

    Equivalent to a DOTALL `re.search` of `<t1>(.*?)</t1>.*?<t2>(.*?)</t2>...` on the text after
    `collapse_tag_spacing` (visplay.md §1.1, `cot_val.py`): text before, between and after the
    blocks is ignored and the first match wins. With `require_nonempty`, an empty value makes the
    parse invalid, as the code's validity check does (q, a and type must all be non-empty, §2.2).
    """
    if not tags:
        return Parsed.invalid("no tags requested")
    if collapse_spacing:
        text = collapse_tag_spacing(text)
    # A match must start at the first `<t1>`: a later start can only find later closers. From
    # there, taking the earliest closer and next opener at every step is what the lazy groups do,
    # and it succeeds whenever any choice does.
    values: dict[str, str] = {}
    position = 0
    for tag in tags:
        opener, closer = f"<{tag}>", f"</{tag}>"
        start = text.find(opener, position)
        if start < 0:
            return Parsed.invalid(f"missing <{tag}> in order")
        end = text.find(closer, start + len(opener))
        if end < 0:
            return Parsed.invalid(f"unclosed <{tag}>")
        values[tag] = text[start + len(opener) : end].strip()
        position = end + len(closer)
    if require_nonempty:
        for tag, value in values.items():
            if not value:
                return Parsed.invalid(f"empty <{tag}>")
    return Parsed.valid(values)


def _tag_contents(text: str, tag: str) -> list[tuple[int, int]]:
    """Spans of what a DOTALL `re.findall(r"<tag>(.*?)</tag>")` returns, in order. Linear."""
    opener, closer = f"<{tag}>", f"</{tag}>"
    spans: list[tuple[int, int]] = []
    position = 0
    while True:
        start = text.find(opener, position)
        if start < 0:
            return spans
        end = text.find(closer, start + len(opener))
        if end < 0:
            return spans  # no later opener can find a closer either
        spans.append((start + len(opener), end))
        position = end + len(closer)


def last_tag(
    text: str,
    tag: str,
    *,
    collapse_spacing: bool = False,
    require_nonempty: bool = False,
) -> Parsed[str]:
    """The stripped content of the last complete `<tag>...</tag>`, or invalid with a reason.

    Per-tag last occurrence as VisPlay's question generation parses (`re.findall(...)[-1]`,
    visplay.md §1.1); there a present-but-empty tag still counts, hence `require_nonempty=False`.
    """
    if collapse_spacing:
        text = collapse_tag_spacing(text)
    spans = _tag_contents(text, tag)
    if not spans:
        return Parsed.invalid(f"no <{tag}>...</{tag}>")
    value = text[spans[-1][0] : spans[-1][1]].strip()
    if require_nonempty and not value:
        return Parsed.invalid(f"empty <{tag}>")
    return Parsed.valid(value)


def first_tag(
    text: str,
    tag: str,
    *,
    collapse_spacing: bool = True,
    require_nonempty: bool = False,
) -> Parsed[str]:
    """The stripped content of the first complete `<tag>...</tag>`, or invalid with a reason.

    MM-Zero's reward-time proposer parse (mm_zero.md §2.1): collapse spacing around `<>/`, then a
    non-greedy `re.search(r"<tag>([\\s\\S]*?)</tag>")` per tag.
    """
    if collapse_spacing:
        text = collapse_tag_spacing(text)
    opener, closer = f"<{tag}>", f"</{tag}>"
    start = text.find(opener)
    end = text.find(closer, start + len(opener)) if start >= 0 else -1
    if end < 0:
        return Parsed.invalid(f"no <{tag}>...</{tag}>")
    value = text[start + len(opener) : end].strip()
    if require_nonempty and not value:
        return Parsed.invalid(f"empty <{tag}>")
    return Parsed.valid(value)


_THINK_TAGS = re.compile(r"<(/?)think>", re.IGNORECASE)


def remove_think_blocks(text: str, replacement: str = " ") -> str:
    """`text` with each `<think>...</think>` block (case-insensitive) replaced by `replacement`.

    Same result as `re.sub(r"<think>.*?</think>", replacement, text, flags=DOTALL | IGNORECASE)`
    but linear: the lazy regex rescans the rest of the text from every unclosed `<think>`
    (5,000 of them took 1.5 s, 1 MB more than 20 s). An unclosed `<think>` is kept as text.
    """
    pieces: list[str] = []
    kept_from = 0
    opened_at = -1
    for tag in _THINK_TAGS.finditer(text):
        if not tag.group(1):
            if opened_at < 0:
                opened_at = tag.start()
        elif opened_at >= 0:
            pieces += [text[kept_from:opened_at], replacement]
            kept_from, opened_at = tag.end(), -1
    pieces.append(text[kept_from:])
    return "".join(pieces)
