"""Parsers for clue and vote turns. They never raise: bad output is an invalid `Parsed`.

Both read the **last** complete `\\boxed{...}` with balanced braces. The released code took the
first box, so a box mentioned in the reasoning ("I'll answer in \\boxed{}") or nested braces broke
it (reference note §9.2 item 14).
"""

from __future__ import annotations

import re
from typing import Final, Literal

from zeroplay.answers.boxed import all_boxed, last_boxed
from zeroplay.answers.parsed import Parsed

NO_VALID_CLUE: Final = "No valid clue provided."  # what other players see for an unparseable clue
ABSTAIN: Final = "abstain"

# A vote is a player seat (1-based) or an abstention.
Vote = int | Literal["abstain"]

_BOX_OPEN = "\\boxed{"
# A wrapper command with its opening brace, or a bare brace.
_WRAPPER_TOKENS = re.compile(
    r"\\(?:boxed|text|textbf|textit|textrm|textsf|texttt|mathrm|mathbf|mathit|mbox)\s*\{|[{}]"
)
_EDGE_CHARS = " \t\r\n.,;:!?*'\"`()[]<>$"
_NUMBER_WORDS: Final = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
# "3", "#3", "p3", "player 3", "Player #3", "player: 3", "player three" (after lower-casing).
_PLAYER_REF = re.compile(r"(?:player|p)?[\s#:]*([0-9]+|" + "|".join(_NUMBER_WORDS) + r")")
# Characters removed before comparing with "na", so "N/A", "n/a.", "N.A." and "n / a" abstain.
_ABSTAIN_NOISE = re.compile(r"[\s./\\_-]")
_MAX_SEAT_DIGITS = 4  # longer digit strings are out of range; never int() them (CPython limits)


def parse_clue(text: str) -> Parsed[str]:
    """The clue: the last boxed content with whitespace collapsed, or invalid if absent/empty."""
    box = last_boxed(text)
    if not box.ok or box.value is None:
        return Parsed.invalid(box.reason or "no \\boxed{...}")
    clue = " ".join(box.value.split())
    if not clue:
        return Parsed.invalid("empty \\boxed{}")
    return Parsed.valid(clue)


def shown_clue(clue: Parsed[str]) -> str:
    """What other players see of a clue: its text, or the placeholder for an invalid one."""
    return clue.value if clue.ok and clue.value is not None else NO_VALID_CLUE


def reasoning_of(text: str) -> str:
    """The private reasoning of a turn: `<think>...</think>` if present, else the text before the
    last complete box, else the whole text (a turn with no box is all reasoning)."""
    think_start = text.find("<think>")
    if think_start != -1:
        think_end = text.find("</think>", think_start)
        if think_end != -1:
            return text[think_start + len("<think>") : think_end].strip()
    boxes = all_boxed(text)
    if boxes:
        # rfind finds the last box itself: the same box text cannot start inside its own content.
        return text[: text.rfind(_BOX_OPEN + boxes[-1] + "}")].strip()
    return text.strip()


def _unwrap_latex(content: str) -> str:
    """`content` with every wrapper command (`\\boxed{}`, `\\text{}`, `\\textbf{}`, `\\mathbf{}`,
    `\\mathrm{}`, ...) removed and its argument kept, however deeply nested, in one linear pass.

    Braces that belong to no wrapper stay. The previous loop re-ran a regex until nothing
    changed, which took 16 s on 10,000 nested `\\text{`.
    """
    # Per open brace: True when it opened a wrapper (so its closing brace is dropped too).
    open_wrappers: list[bool] = []
    kept: list[str] = []
    position = 0
    for token in _WRAPPER_TOKENS.finditer(content):
        kept.append(content[position : token.start()])
        position = token.end()
        text = token.group()
        if text == "}":
            if open_wrappers and open_wrappers.pop():
                continue
            kept.append(text)
        elif text == "{":
            open_wrappers.append(False)
            kept.append(text)
        else:
            open_wrappers.append(True)
    kept.append(content[position:])
    return "".join(kept)


def _normalise_vote(content: str) -> str:
    """Unwraps LaTeX wrappers (nested too), lower-cases and trims punctuation at both ends."""
    return _unwrap_latex(content).lower().strip(_EDGE_CHARS)


def parse_vote(text: str, n_players: int) -> Parsed[Vote]:
    """The vote in the last box: a seat in 1..n_players, or ABSTAIN for "N/A" and its variants.

    Anything else (no box, other words, a seat out of range) is invalid with a reason.
    """
    box = last_boxed(text)
    if not box.ok or box.value is None:
        return Parsed.invalid(box.reason or "no \\boxed{...}")
    content = _normalise_vote(box.value)
    if not content:
        return Parsed.invalid("empty \\boxed{}")
    if _ABSTAIN_NOISE.sub("", content) == "na":
        return Parsed.valid(ABSTAIN)
    match = _PLAYER_REF.fullmatch(content)
    if match is None:
        return Parsed.invalid(f"not a player number or N/A: {content[:40]!r}")
    token = match.group(1)
    if token in _NUMBER_WORDS:
        seat = _NUMBER_WORDS[token]
    else:
        digits = token.lstrip("0") or "0"
        if len(digits) > _MAX_SEAT_DIGITS:
            return Parsed.invalid(f"player number {token[:12]}... is not in 1..{n_players}")
        seat = int(digits)
    if not 1 <= seat <= n_players:
        return Parsed.invalid(f"player {seat} is not in 1..{n_players}")
    return Parsed.valid(seat)


def decision_format_ok(text: str) -> bool:
    """The code preset's format check: reasoning longer than 10 characters and a non-empty box
    (reference note §3.3)."""
    box = last_boxed(text)
    return bool(box.ok and box.value) and len(reasoning_of(text)) > 10
