"""The in-process quick verdicts agree with MathRuler wherever they decide."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mathruler.grader import grade_answer as mathruler_grade

from zeroplay.answers.quick_grade import quick_verdict


@pytest.mark.parametrize(
    ("given", "gold", "verdict"),
    [
        ("25%", "25", True),
        ("25", "25%", True),
        ("3.5", "3.50", True),
        ("0.5", "0.50", True),
        ("3", "3.0", True),
        ("-0", "0", True),
        ("2.00000001", "2", True),  # MathRuler treats |x - round(x)| <= 1e-7 as an integer
        ("2.0000002", "2", False),
        ("3", "3.5", False),
        ("0.25", "25%", False),
        ("A", "a", True),
        ("B", "a", False),
        (" 12 ", "12", True),
        (None, "1", False),
        ("1/2", "0.5", None),  # needs the full grader
        ("blue", "Blue", None),
        ("1234567890123456", "1234567890123456.0", None),  # too many digits to be sure
    ],
)
def test_hand_picked(given: str, gold: str, verdict: bool | None) -> None:
    assert quick_verdict(given, gold) is verdict


def test_letter_pairs_agree_with_mathruler() -> None:
    # Includes the letters sympy gives a meaning to (E, I, N, O, Q, S) in both cases.
    letters = "AaBbEeIiNnOoQqSsXxZz"
    for a in letters:
        for b in letters:
            assert quick_verdict(a, b) == mathruler_grade(a, b), (a, b)


_NUMBER = st.builds(
    lambda sign, whole, frac, pct: sign + whole + (("." + frac) if frac else "") + pct,
    st.sampled_from(["", "-"]),
    st.from_regex(r"0|[1-9][0-9]{0,7}|0{1,3}[0-9]{1,3}", fullmatch=True),
    st.one_of(st.just(""), st.from_regex(r"[0-9]{1,8}", fullmatch=True)),
    st.sampled_from(["", "%"]),
)


def _near(number: str) -> st.SearchStrategy[str]:
    """Numbers equal or close to `number`, so that matches are common."""
    return st.sampled_from(
        [number, number + "0", number.removesuffix("%"), number + "00000001", "-" + number]
    )


@given(_NUMBER.flatmap(lambda a: st.tuples(st.just(a), st.one_of(_NUMBER, _near(a)))))
def test_numbers_agree_with_mathruler(pair: tuple[str, str]) -> None:
    given, gold = pair
    verdict = quick_verdict(given, gold)
    if verdict is not None:
        assert verdict == mathruler_grade(given, gold)
