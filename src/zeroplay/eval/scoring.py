"""Rule-based scoring of an extracted answer against the gold, one rule per answer type.

| type     | the extracted answer is read as                     | correct when                      |
|----------|-----------------------------------------------------|-----------------------------------|
| `choice` | an option letter ("B", "(B)", "B. red") or exactly  | it is the gold letter             |
|          | one option's text                                   |                                   |
| `yesno`  | its first word, "yes" or "no"                       | it equals the gold                |
| `number` | one number (`numbers.parse_number`)                 | within the relative tolerance     |
| `text`   | lower-cased words without a leading article         | equal to the gold or an alternative |
| `math`   | itself                                              | MathRuler-equivalent (both ways)  |

Alternatives in `item.accept` are tried like the gold. An answer that cannot be read as its
type is wrong, with the reason kept in the record.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from zeroplay.eval.answer_types import YES_NO, choice_gold, normalize_words, option_letters
from zeroplay.eval.items import BenchItem
from zeroplay.eval.numbers import numbers_match, parse_number

_WRAPPER = re.compile(r"\\(?:text|mathrm|textbf|mathbf)\s*\{([^{}]*)\}")
# "B. red", "(B) red", "B: red", "B) red": a letter, then a separator, then anything.
_LETTER_PREFIX = re.compile(r"\(?([A-Z])(?:\)|\.|:)(?:\s.*)?", re.DOTALL)
_ARTICLES = ("a ", "an ", "the ")

MathEquivalence = Callable[[str, str], bool]


@dataclass(frozen=True)
class ScoringSettings:
    """Run-wide scoring settings. `rel_tol` applies to `number` items without their own
    tolerance (0 means equal up to `abs_tol`, which absorbs floating-point noise)."""

    rel_tol: float = 0.0
    abs_tol: float = 1e-9
    math_timeout_s: float = 5.0

    def __post_init__(self) -> None:
        if self.rel_tol < 0 or self.abs_tol < 0:
            raise ValueError("tolerances must be >= 0")


@dataclass(frozen=True)
class Score:
    """The verdict on one answer: `normalized` is how the answer was read (None if unreadable)."""

    correct: bool
    normalized: str | None
    reason: str | None = None


def _unwrap(text: str) -> str:
    for _ in range(3):
        text = _WRAPPER.sub(r"\1", text)
    return text.replace("$", "").replace("**", "").strip()


def read_choice(text: str, choices: tuple[str, ...]) -> str | None:
    """The option letter `text` names, or None (see the table in the module docstring)."""
    letters = option_letters(len(choices))
    bare = _unwrap(text)
    single = bare.strip("()[] ").rstrip(".").strip()
    if len(single) == 1 and single.upper() in letters:
        return single.upper()
    prefixed = _LETTER_PREFIX.fullmatch(bare)
    if prefixed and prefixed.group(1) in letters:
        return prefixed.group(1)
    return choice_gold(bare, choices) if bare and len(single) != 1 else None


def read_yesno(text: str) -> str | None:
    """ "yes" or "no" when the answer's first word is one of them, else None."""
    words = normalize_words(_unwrap(text)).replace(",", " ").split()
    first = words[0].rstrip(".!") if words else ""
    return first if first in YES_NO else None


def read_text(text: str) -> str:
    """Lower-cased words without LaTeX wrappers, a leading article or final punctuation."""
    words = normalize_words(_unwrap(text))
    for article in _ARTICLES:
        if words.startswith(article):
            return words[len(article) :].strip()
    return words


def _default_math_equivalence(timeout_s: float) -> MathEquivalence:
    from zeroplay.answers.grading import equivalent

    return lambda given, gold: equivalent(given, gold, timeout_s=timeout_s)


def score_answer(
    answer: str,
    item: BenchItem,
    settings: ScoringSettings,
    math_equivalence: MathEquivalence | None = None,
) -> Score:
    """Score the extracted `answer` for `item` (see the module docstring). Never raises on
    model text; `math_equivalence(given, gold)` defaults to two-way MathRuler grading."""
    golds = (item.answer, *item.accept)
    kind = item.answer_type
    if kind == "choice":
        letter = read_choice(answer, item.choices)
        if letter is None:
            return Score(False, None, "not one of the options")
        return Score(letter in golds, letter)
    if kind == "yesno":
        verdict = read_yesno(answer)
        if verdict is None:
            return Score(False, None, "not yes or no")
        return Score(verdict in {normalize_words(g) for g in golds}, verdict)
    if kind == "number":
        parsed = parse_number(answer)
        if not parsed.ok or parsed.value is None:
            return Score(False, None, parsed.reason)
        rel_tol = item.tolerance if item.tolerance is not None else settings.rel_tol
        gold_values = [v for v in (parse_number(g).value for g in golds) if v is not None]
        correct = any(
            numbers_match(parsed.value, g, rel_tol, settings.abs_tol) for g in gold_values
        )
        return Score(correct, repr(parsed.value))
    if kind == "text":
        read = read_text(answer)
        if not read:
            return Score(False, None, "empty answer")
        return Score(read in {read_text(g) for g in golds}, read)
    equivalence = math_equivalence or _default_math_equivalence(settings.math_timeout_s)
    given = answer.strip()
    if not given:
        return Score(False, None, "empty answer")
    return Score(any(equivalence(given, gold) for gold in golds), given)
