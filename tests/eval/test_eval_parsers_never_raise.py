"""Property tests: parsers of model or judge text return a value or a reason and never raise;
benchmark loaders raise nothing but one-line `BenchmarkError`s."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeroplay.eval.errors import BenchmarkError
from zeroplay.eval.extraction import extract_answer
from zeroplay.eval.items import BenchItem
from zeroplay.eval.jsonl_format import load_jsonl
from zeroplay.eval.judge_prompt import read_verdict
from zeroplay.eval.numbers import parse_number
from zeroplay.eval.scoring import ScoringSettings, read_choice, read_text, read_yesno, score_answer
from zeroplay.eval.tsv_format import load_tsv

ITEMS = [
    BenchItem("c", "q", "A", "choice", choices=("red", "blue", "green")),
    BenchItem("y", "q", "no", "yesno"),
    BenchItem("n", "q", "3", "number"),
    BenchItem("t", "q", "cube", "text"),
]
# Characters that matter to the parsers, mixed with anything.
TRICKY = st.text(alphabet=st.sampled_from(list("\\boxed{}()[]AaBbyesnoanswer:*$%,.-/ 0123\n")))
ANY_TEXT = st.one_of(st.text(), TRICKY)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_extraction_and_scoring_never_raise(text: str) -> None:
    for item in ITEMS:
        extracted = extract_answer(text, item)
        assert extracted.ok or extracted.reason
        if extracted.ok:
            score = score_answer(extracted.value.text, item, ScoringSettings())
            assert isinstance(score.correct, bool)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_readers_never_raise(text: str) -> None:
    number = parse_number(text)
    assert number.ok or number.reason
    read_choice(text, ("a", "b"))
    read_yesno(text)
    read_text(text)
    verdict = read_verdict(text)
    assert verdict.ok or verdict.reason


@pytest.mark.timeout(20)
def test_adversarial_lengths_finish() -> None:
    """Long runs of the characters the patterns repeat on (no catastrophic backtracking)."""
    for text in (
        "answer" + " " * 50_000 + "x",
        "answer:" * 20_000,
        "(" * 50_000,
        "\\boxed{" * 20_000,
        "1," * 30_000,
    ):
        for item in ITEMS:
            extract_answer(text, item)
        assert not parse_number(text).ok
        assert not read_verdict(text).ok


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
RECORDS = st.fixed_dictionaries(
    {},
    optional={
        key: JSON_VALUES
        for key in ("id", "question", "answer", "image", "choices", "answer_type", "accept")
    }
    | {"tolerance": JSON_VALUES, "hint": JSON_VALUES, "meta": JSON_VALUES},
)


@settings(max_examples=150, deadline=None)
@given(st.lists(RECORDS, min_size=1, max_size=3))
def test_jsonl_loader_raises_only_benchmark_errors(records: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "b.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
        try:
            load_jsonl(path)
        except BenchmarkError as error:
            assert "\n" not in str(error)


# A TSV file holds encodable text: no lone surrogates (category Cs).
CELLS = st.text(
    alphabet=st.characters(blacklist_characters="\t\n\r\x00", blacklist_categories=("Cs",)),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(CELLS, min_size=6, max_size=6), min_size=1, max_size=4))
def test_tsv_loader_raises_only_benchmark_errors(rows: list[list[str]]) -> None:
    header = ["index", "image", "question", "A", "B", "answer"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "b.tsv"
        path.write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n")
        try:
            load_tsv(path)
        except BenchmarkError as error:
            assert "\n" not in str(error)


def test_exponent_without_mantissa_is_not_a_number() -> None:
    """Hypothesis found "E0": the number pattern accepted it and float() raised."""
    from zeroplay.eval.numbers import parse_number

    assert not parse_number("E0").ok
    assert not parse_number("e5").ok
    assert parse_number("1e3").value == 1000.0
    assert parse_number(".5").value == 0.5
