"""Answer types of benchmark items: inferring one from the gold answer, and option letters.

A file may name the type of each item (`answer_type`); otherwise it is inferred: items with
choices are `choice`, "yes"/"no" golds are `yesno`, plain numbers are `number`, words are
`text`, and everything else (LaTeX, expressions, tuples) is `math`.
"""

from __future__ import annotations

import re
import string

from zeroplay.eval.numbers import parse_number

OPTION_LETTERS: str = string.ascii_uppercase
YES_NO: tuple[str, str] = ("yes", "no")
# Words, spaces, hyphens and apostrophes only: an answer like "red", "cylinder", "New York".
_WORDS = re.compile(r"[^\W\d_]+(?:[\s'\-][^\W\d_]+)*")


def option_letters(count: int) -> str:
    """The first `count` option letters ("ABCD" for 4); at most 26."""
    if not 0 <= count <= len(OPTION_LETTERS):
        raise ValueError(f"between 0 and {len(OPTION_LETTERS)} options are supported, got {count}")
    return OPTION_LETTERS[:count]


def normalize_words(text: str) -> str:
    """Lower case, single spaces, no surrounding quotes or final punctuation."""
    text = " ".join(text.strip().split()).lower()
    return text.strip("\"'`").rstrip(".!?;:,").strip()


def choice_gold(answer: str, choices: tuple[str, ...]) -> str | None:
    """The gold option letter: `answer` is a letter in range, or exactly one option's text."""
    letters = option_letters(len(choices))
    stripped = answer.strip().strip("()").rstrip(".").strip()
    if len(stripped) == 1 and stripped.upper() in letters:
        return stripped.upper()
    wanted = normalize_words(answer)
    matches = [letters[i] for i, choice in enumerate(choices) if normalize_words(choice) == wanted]
    return matches[0] if len(matches) == 1 else None


def infer_answer_type(answer: str, choices: tuple[str, ...]) -> str:
    """The answer type implied by the gold answer (see the module docstring)."""
    if choices:
        return "choice"
    if normalize_words(answer) in YES_NO:
        return "yesno"
    if parse_number(answer).ok and any(c.isdigit() for c in answer):
        return "number"
    if _WORDS.fullmatch(answer.strip()):
        return "text"
    return "math"
