"""Answer extraction and rule scoring on hand-made items: letters, yes/no, numbers with tolerance,
words, MathRuler equivalences, missing boxes."""

from __future__ import annotations

import pytest

from zeroplay.eval.answer_types import choice_gold, infer_answer_type
from zeroplay.eval.extraction import extract_answer
from zeroplay.eval.items import BenchItem
from zeroplay.eval.numbers import numbers_match, parse_number
from zeroplay.eval.scoring import ScoringSettings, read_choice, read_yesno, score_answer

CHOICE = BenchItem("c", "Which colour?", "B", "choice", choices=("red", "blue", "green", "cyan"))
YESNO = BenchItem("y", "Is it red?", "yes", "yesno")
NUMBER = BenchItem("n", "How many?", "12", "number")
TEXT = BenchItem("t", "What shape?", "sphere", "text", accept=("ball",))
MATH = BenchItem("m", "Simplify", "\\frac{1}{2}", "math")
STRICT = ScoringSettings()


def _score(response: str, item: BenchItem, settings: ScoringSettings = STRICT, math=None):
    extracted = extract_answer(response, item)
    if not extracted.ok:
        return None
    return score_answer(extracted.value.text, item, settings, math)


@pytest.mark.parametrize(
    ("response", "letter", "correct"),
    [
        ("so \\boxed{B}", "B", True),
        ("\\boxed{(b)}", "B", True),
        ("\\boxed{B. blue}", "B", True),
        ("\\boxed{\\text{B}}", "B", True),
        ("\\boxed{blue}", "B", True),  # an option's text names its letter
        ("\\boxed{Blue.}", "B", True),
        ("\\boxed{A}", "A", False),
        ("\\boxed{A} then changed my mind \\boxed{C}", "C", False),  # the last box counts
    ],
)
def test_choice_letters(response: str, letter: str, correct: bool) -> None:
    score = _score(response, CHOICE)
    assert score is not None and score.normalized == letter and score.correct is correct


def test_choice_out_of_range_or_unknown_text_is_wrong_with_reason() -> None:
    for boxed in ("\\boxed{E}", "\\boxed{purple}", "\\boxed{B or C}"):
        score = _score(boxed, CHOICE)
        assert score is not None and not score.correct and score.normalized is None
        assert score.reason == "not one of the options"


@pytest.mark.parametrize(
    ("response", "expected", "method"),
    [
        ("I think the answer is (B).", "B", "fallback:answer-phrase"),
        ("Answer: **C**", "C", "fallback:answer-phrase"),
        ("final answer: option D", "D", "fallback:answer-phrase"),
        ("B", "B", "fallback:lone-letter"),
        (" (b). ", "B", "fallback:lone-letter"),
        ("It looks like\nGreen", "C", "fallback:option-text"),
        ("<think>maybe A</think>Answer: B", "B", "fallback:answer-phrase"),
    ],
)
def test_choice_fallbacks(response: str, expected: str, method: str) -> None:
    extracted = extract_answer(response, CHOICE)
    assert extracted.ok and extracted.value.text == expected and extracted.value.method == method


@pytest.mark.parametrize(
    "response",
    ["The answer is a blue cube", "the answer is E", "I am not sure", "", "red or blue"],
)
def test_choice_fallbacks_are_narrow(response: str) -> None:
    assert not extract_answer(response, CHOICE).ok


def test_yes_no_boxed_and_fallback() -> None:
    assert _score("\\boxed{Yes}", YESNO).correct
    assert _score("\\boxed{yes, it is}", YESNO).correct
    assert not _score("\\boxed{No.}", YESNO).correct
    maybe = _score("\\boxed{maybe}", YESNO)
    assert not maybe.correct and maybe.reason == "not yes or no"
    assert extract_answer("Yes. It is red.", YESNO).value.method == "fallback:yes-no-word"
    assert _score("Yes. It is red.", YESNO).correct
    both = extract_answer("Yes... no, wait", YESNO)
    assert not both.ok and "both" in both.reason
    assert not extract_answer("cannot tell", YESNO).ok
    assert read_yesno("\\text{No}") == "no" and read_yesno("nope") is None


@pytest.mark.parametrize(
    ("boxed", "correct"),
    [
        ("12", True),
        ("12.0", True),
        ("1,2", False),
        ("12 cubes", True),
        ("\\$12", True),
        ("13", False),
        ("twelve", False),
        ("2 or 12", False),
        ("\\frac{24}{2}", True),
    ],
)
def test_numbers_exact(boxed: str, correct: bool) -> None:
    assert _score(f"\\boxed{{{boxed}}}", NUMBER).correct is correct


def test_number_tolerance_is_relative_to_gold() -> None:
    # |x - 12| <= 0.05 * 12 = 0.6
    five = ScoringSettings(rel_tol=0.05)
    assert _score("\\boxed{12.6}", NUMBER, five).correct
    assert not _score("\\boxed{12.61}", NUMBER, five).correct
    assert _score("\\boxed{11.4}", NUMBER, five).correct
    # An item's own tolerance wins over the run's: 0.5 * 12 = 6.
    loose = BenchItem("n2", "q", "12", "number", tolerance=0.5)
    assert _score("\\boxed{17.9}", loose).correct and not _score("\\boxed{18.1}", loose).correct
    assert numbers_match(0.1 + 0.2, 0.3, 0.0)  # floating-point noise is absorbed
    assert not numbers_match(0.0, 1e-6, 0.0)


def test_percent_and_fraction_numbers() -> None:
    assert parse_number("25\\%").value == 25.0
    assert parse_number("$-\\dfrac{3}{4}$").value == -0.75
    assert parse_number("1,234,567.5").value == 1234567.5
    assert parse_number("3/4").value == 0.75
    assert not parse_number("1,23").ok and not parse_number("x = 4").ok
    assert not parse_number("1/0").ok


def test_text_answers_with_alternatives() -> None:
    assert _score("\\boxed{Sphere}", TEXT).correct
    assert _score("\\boxed{a sphere.}", TEXT).correct
    assert _score("\\boxed{\\text{Ball}}", TEXT).correct
    assert not _score("\\boxed{cube}", TEXT).correct
    assert not _score("\\boxed{spheres and cubes}", TEXT).correct


def test_math_uses_the_equivalence_both_ways() -> None:
    calls = []

    def fake(given: str, gold: str) -> bool:
        calls.append((given, gold))
        return given == "0.5"

    assert _score("\\boxed{0.5}", MATH, math=fake).correct
    assert not _score("\\boxed{0.25}", MATH, math=fake).correct
    assert calls == [("0.5", "\\frac{1}{2}"), ("0.25", "\\frac{1}{2}")]


def test_math_with_mathruler() -> None:
    assert _score("\\boxed{0.5}", MATH).correct
    assert not _score("\\boxed{2}", MATH).correct


def test_missing_box_is_unanswered_for_open_types() -> None:
    for item in (NUMBER, TEXT, MATH):
        result = extract_answer("the answer is 12 sphere 0.5", item)
        assert not result.ok and result.reason == "no \\boxed{...}"
    unclosed = extract_answer("so \\boxed{12", NUMBER)
    assert not unclosed.ok and "complete" in unclosed.reason
    assert not extract_answer("\\boxed{ }", NUMBER).ok


def test_gold_letters_and_type_inference() -> None:
    options = ("red", "blue")
    assert choice_gold("b", options) == "B" and choice_gold("(A)", options) == "A"
    assert choice_gold("Blue", options) == "B" and choice_gold("green", options) is None
    assert read_choice("B) blue", ("red", "blue")) == "B"
    assert infer_answer_type("Yes", ()) == "yesno"
    assert infer_answer_type("3.5", ()) == "number"
    assert infer_answer_type("New York", ()) == "text"
    assert infer_answer_type("\\sqrt{2}", ()) == "math"
    assert infer_answer_type("x", options) == "choice"
