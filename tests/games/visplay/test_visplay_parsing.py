"""Questioner reply parsing: ordered tags, empty fields, type normalisation; never raises."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroplay.games.visplay import GeneratedQuestion, normalize_question_type, parse_question


def test_parses_the_three_blocks() -> None:
    text = "<type>numerical</type>\n<question>How many cubes?</question>\n<answer>3</answer>"
    parsed = parse_question(text)
    assert parsed.ok
    assert parsed.value == GeneratedQuestion("numerical", "How many cubes?", "3")


def test_tolerates_spacing_and_surrounding_text() -> None:
    text = (
        "Sure.\n< type > Multiple-Choice </ type >\nthen <question> Is the cube red? "
        "</question> and <answer> Yes </answer> done <question>ignored</question>"
    )
    parsed = parse_question(text)
    assert parsed.value == GeneratedQuestion("multiple choice", "Is the cube red?", "Yes")


def test_first_match_wins() -> None:
    one = "<type>numerical</type><question>Q1?</question><answer>1</answer>"
    two = "<type>regression</type><question>Q2?</question><answer>2.5</answer>"
    assert parse_question(one + two).value == GeneratedQuestion("numerical", "Q1?", "1")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "missing <type> in order"),
        ("<question>What?</question><answer>1</answer>", "missing <type> in order"),
        (
            "<question>Q?</question><type>numerical</type><answer>1</answer>",
            "missing <question> in order",
        ),
        ("<type>numerical</type><question></question><answer>1</answer>", "empty <question>"),
        ("<type>numerical</type><question>Q?</question><answer> </answer>", "empty <answer>"),
        ("<type></type><question>Q?</question><answer>1</answer>", "empty <type>"),
        ("<type>essay</type><question>Q?</question><answer>1</answer>", "unknown question type"),
        ("<type>numerical</type><question>Q?", "unclosed <question>"),
    ],
)
def test_invalid_replies(text: str, reason: str) -> None:
    parsed = parse_question(text, validate_type=True)
    assert not parsed.ok
    assert parsed.value is None
    assert parsed.reason is not None and parsed.reason.startswith(reason)


def test_unknown_type_is_kept_raw_without_validation() -> None:
    text = "<type>Essay</type><question>Why?</question><answer>because</answer>"
    parsed = parse_question(text, validate_type=False)
    assert parsed.value == GeneratedQuestion("Essay", "Why?", "because")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("multiple choice", "multiple choice"),
        ("Multiple-Choice", "multiple choice"),
        ("multiple_choice", "multiple choice"),
        ("MCQ", "multiple choice"),
        ("Yes/No", "multiple choice"),
        ("numerical", "numerical"),
        (" Numeric. ", "numerical"),
        ("**regression**", "regression"),
        ("Regression question", "regression"),
        ("essay", None),
        ("", None),
    ],
)
def test_normalize_question_type(raw: str, expected: str | None) -> None:
    assert normalize_question_type(raw) == expected


@given(st.text(max_size=300), st.booleans())
def test_parse_never_raises_on_any_text(text: str, validate_type: bool) -> None:
    parsed = parse_question(text, validate_type=validate_type)
    assert parsed.ok == (parsed.value is not None)
    if parsed.ok:
        assert parsed.value.question and parsed.value.answer and parsed.value.question_type


_PIECES = st.sampled_from(
    [
        "<type>",
        "</type>",
        "<question>",
        "</question>",
        "<answer>",
        "</answer>",
        " ",
        "/",
        "numerical",
        "Q?",
        "1",
        "\n",
        "<",
        ">",
    ]
)


@given(st.lists(_PIECES, max_size=16).map("".join))
def test_parse_never_raises_on_tag_soup(text: str) -> None:
    parsed = parse_question(text)
    if parsed.ok:
        assert parsed.value.question_type == "numerical"
