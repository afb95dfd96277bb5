"""Extraction of `\\boxed{...}` answers with balanced (nested) braces, in one linear pass.

A *complete* box is an occurrence of `\\boxed{` whose opening brace is closed later in the text,
counting every `{` and `}` after it (escaped `\\{` counts too, as in MathRuler). Boxes nested inside
a complete box belong to its content and are not reported separately: "last" means the last
*outermost* complete box. Two differences from MathRuler's `extract_boxed_content`, which looks only
at the last `\\boxed{` in the text: a trailing unclosed box does not hide an earlier complete one,
and `\\boxed{a \\boxed{b}}` gives `a \\boxed{b}` (MathRuler gives the inner `b`).
"""

from __future__ import annotations

import re

from zeroplay.answers.parsed import Parsed

_OPEN = "\\boxed{"
# One token per brace event: a box opener (its `{` included) or a bare brace.
_TOKENS = re.compile(r"\\boxed\{|[{}]")


def _outermost_box_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the content of every outermost complete box, in text order. O(len(text))."""
    # Stack of open braces: the content start for a box opener, -1 for a bare `{`.
    open_braces: list[int] = []
    spans: list[tuple[int, int]] = []
    for token in _TOKENS.finditer(text):
        if token.group() == "}":
            if not open_braces:
                continue  # a stray `}` closes nothing
            start = open_braces.pop()
            if start < 0:
                continue
            # Boxes closed earlier that started after this one lie inside it: drop them. They
            # sit at the end of `spans` because braces close in LIFO order.
            while spans and spans[-1][0] > start:
                spans.pop()
            spans.append((start, token.start()))
        elif token.group() == "{":
            open_braces.append(-1)
        else:
            open_braces.append(token.end())
    return spans


def all_boxed(text: str) -> list[str]:
    """Contents of every outermost complete `\\boxed{...}` in `text`, in order (not stripped).

    A box whose brace never closes is skipped (it is not an answer), but complete boxes inside it
    are still found.
    """
    return [text[start:end] for start, end in _outermost_box_spans(text)]


def last_boxed(text: str) -> Parsed[str]:
    """The stripped content of the last outermost complete `\\boxed{...}`, or invalid with a reason.

    Invalid reasons: no box at all, only unclosed boxes, or an empty last box.
    """
    spans = _outermost_box_spans(text)
    if not spans:
        return Parsed.invalid("no complete \\boxed{...}" if _OPEN in text else "no \\boxed{...}")
    start, end = spans[-1]
    content = text[start:end].strip()
    if not content:
        return Parsed.invalid("empty \\boxed{}")
    return Parsed.valid(content)
