"""Clue and vote parsers: known hard cases, and they never raise on any string."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroplay.games.vision_zero.parsing import (
    ABSTAIN,
    NO_VALID_CLUE,
    decision_format_ok,
    parse_clue,
    parse_vote,
    reasoning_of,
    shown_clue,
)


def test_clue_takes_last_box_not_one_mentioned_in_reasoning() -> None:
    text = "I will answer in \\boxed{} as asked. \\boxed{The red cube is left of the sphere.}"
    assert parse_clue(text).value == "The red cube is left of the sphere."


def test_clue_keeps_nested_braces_and_collapses_whitespace() -> None:
    text = "thinking \\boxed{A {big}\n   cylinder}"
    assert parse_clue(text).value == "A {big} cylinder"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("no box at all", "no \\boxed{...}"),
        ("\\boxed{never closed", "no complete \\boxed{...}"),
        ("\\boxed{   }", "empty \\boxed{}"),
    ],
)
def test_bad_clues_are_invalid_with_reason(text: str, reason: str) -> None:
    parsed = parse_clue(text)
    assert not parsed.ok
    assert parsed.reason == reason
    assert shown_clue(parsed) == NO_VALID_CLUE


def test_reasoning_is_text_before_last_box() -> None:
    assert reasoning_of("Step 1. \\boxed{x} Step 2. \\boxed{y} tail") == (
        "Step 1. \\boxed{x} Step 2."
    )
    assert reasoning_of("<think> hidden </think> \\boxed{y}") == "hidden"
    assert reasoning_of("  only thoughts  ") == "only thoughts"
    # An identical earlier box must not be mistaken for the last one.
    assert reasoning_of("a \\boxed{1} b \\boxed{1}") == "a \\boxed{1} b"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("3", 3),
        (" 3 ", 3),
        ("03", 3),
        ("Player 3", 3),
        ("player #2", 2),
        ("PLAYER: 4", 4),
        ("P1", 1),
        ("Player Three", 3),
        ("two", 2),
        ("\\text{Player 2}", 2),
        ("**4**.", 4),
        ("N/A", ABSTAIN),
        ("NA", ABSTAIN),
        ("n/a.", ABSTAIN),
        ("N.A.", ABSTAIN),
        ("n / a", ABSTAIN),
        ("\\text{N/A}", ABSTAIN),
        # Nested wrappers unwrap like a single \\text{} does.
        ("\\boxed{3}", 3),
        ("\\text{\\boxed{3}}", 3),
        ("\\textbf{\\text{Player 2}}", 2),
        ("\\mathbf{\\mathrm{4}}", 4),
        ("\\boxed{\\textbf{N/A}}", ABSTAIN),
        ("\\textbf{\\boxed{\\text {1}}}", 1),
    ],
)
def test_valid_votes(content: str, expected: object) -> None:
    parsed = parse_vote(f"Reasoning first. \\boxed{{{content}}}", n_players=4)
    assert parsed.ok, parsed.reason
    assert parsed.value == expected


@pytest.mark.parametrize(
    ("text", "reason_start"),
    [
        ("\\boxed{5}", "player 5 is not in 1..4"),
        ("\\boxed{0}", "player 0 is not in 1..4"),
        ("\\boxed{Player 9}", "player 9 is not in 1..4"),
        ("\\boxed{nine}", "player 9 is not in 1..4"),
        ("\\boxed{" + "7" * 5000 + "}", "player number 777777777777..."),
        ("\\boxed{Player 3 is the spy}", "not a player number or N/A"),
        ("\\boxed{1 or 2}", "not a player number or N/A"),
        ("\\boxed{{3}}", "not a player number or N/A"),  # a bare brace is not a wrapper
        ("\\boxed{none}", "not a player number or N/A"),
        ("\\boxed{}", "empty \\boxed{}"),
        ("I vote 3", "no \\boxed{...}"),
    ],
)
def test_invalid_votes(text: str, reason_start: str) -> None:
    parsed = parse_vote(text, n_players=4)
    assert not parsed.ok
    assert parsed.reason is not None and parsed.reason.startswith(reason_start)


def test_vote_uses_last_box() -> None:
    assert parse_vote("Maybe \\boxed{1}? No: \\boxed{2}", n_players=4).value == 2


def test_decision_format_check_of_code_preset() -> None:
    assert decision_format_ok("Player 2 contradicts the others. \\boxed{2}")
    assert not decision_format_ok("short \\boxed{2}")  # reasoning of 5 characters
    assert not decision_format_ok("A long enough reasoning, but \\boxed{ }")
    assert not decision_format_ok("A long enough reasoning and no box")


@given(st.text())
def test_parsers_never_raise(text: str) -> None:
    parse_clue(text)
    parse_vote(text, n_players=4)
    reasoning_of(text)
    decision_format_ok(text)


@given(st.text(alphabet=st.sampled_from(list("\\boxed{}N/Aa0123456789 player.")), max_size=60))
def test_parsers_never_raise_on_box_like_text(text: str) -> None:
    vote = parse_vote(text, n_players=4)
    assert vote.ok == (vote.reason is None)
    if vote.ok:
        assert vote.value == ABSTAIN or vote.value in {1, 2, 3, 4}
    clue = parse_clue(text)
    if clue.ok:
        assert clue.value and clue.value == clue.value.strip()
