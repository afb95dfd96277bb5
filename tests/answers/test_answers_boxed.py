"""`\\boxed{}` extraction: nesting, unclosed boxes, reasons, linear time, never raising."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroplay.answers.boxed import all_boxed, last_boxed


def _reference_outermost(text: str) -> list[str]:
    """Quadratic reference: scan forward from every `\\boxed{`, keep boxes not inside another."""
    opener = "\\boxed{"
    spans = []
    start = text.find(opener)
    while start != -1:
        depth, j = 1, start + len(opener)
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        if depth == 0:
            spans.append((start + len(opener), j - 1))
        start = text.find(opener, start + 1)
    outer = [s for s in spans if not any(o[0] < s[0] and s[1] < o[1] for o in spans)]
    return [text[a:b] for a, b in outer]


def test_last_of_several_boxes_is_stripped() -> None:
    assert last_boxed("first \\boxed{1}, then \\boxed{ 42 } .").value == "42"
    assert all_boxed("\\boxed{1} and \\boxed{ 42 }") == ["1", " 42 "]


def test_nested_braces_are_kept() -> None:
    assert last_boxed("so \\boxed{\\frac{1}{2}}").value == "\\frac{1}{2}"


def test_nested_boxes_report_the_outermost() -> None:
    text = "\\boxed{a \\boxed{b}} and \\boxed{c {\\boxed{d}}}"
    assert all_boxed(text) == ["a \\boxed{b}", "c {\\boxed{d}}"]
    assert last_boxed(text).value == "c {\\boxed{d}}"


def test_trailing_unclosed_box_does_not_hide_an_earlier_one() -> None:
    assert last_boxed("\\boxed{7} but maybe \\boxed{8").value == "7"


def test_complete_box_inside_an_unclosed_one_is_found() -> None:
    assert all_boxed("\\boxed{x \\boxed{y} z") == ["y"]


def test_stray_closing_braces_are_ignored() -> None:
    assert last_boxed("}} \\boxed{3}}").value == "3"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("no answer here", "no \\boxed{...}"),
        ("\\boxed{12", "no complete \\boxed{...}"),
        ("\\boxed{5} \\boxed{  }", "empty \\boxed{}"),
    ],
)
def test_invalid_reasons(text: str, reason: str) -> None:
    parsed = last_boxed(text)
    assert not parsed.ok
    assert parsed.value is None
    assert parsed.reason == reason


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "text",
    ["\\boxed{" * 100_000, "\\boxed{" * 100_000 + "}" * 100_000, "{" * 200_000 + "\\boxed{1}"],
)
def test_adversarial_input_is_linear(text: str) -> None:
    # The previous implementation rescanned to the end from every opener: ~10^10 steps here.
    result = last_boxed(text)
    assert result.ok == text.endswith("}")


_PIECES = st.sampled_from(["\\boxed{", "{", "}", "a", " ", "\\", "boxed"])


@given(st.lists(_PIECES, max_size=30).map("".join))
def test_matches_the_quadratic_reference(text: str) -> None:
    assert all_boxed(text) == _reference_outermost(text)


@given(st.text())
def test_never_raises(text: str) -> None:
    parsed = last_boxed(text)
    assert parsed.ok == (parsed.reason is None)
    assert isinstance(all_boxed(text), list)
