"""MathRuler-equivalent grading with timeouts, a cache and a restartable worker process."""

from __future__ import annotations

import multiprocessing
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mathruler.grader import grade_answer as mathruler_grade

from zeroplay.answers.grading import (
    AnswerGrader,
    GradingStats,
    equivalent,
    grade_answer,
    grading_stats,
)

FAKE_TARGET = "answers_fake_graders:exact_or_misbehave"


@pytest.fixture
def fake_grader():
    grader = AnswerGrader(FAKE_TARGET, quick_path=False)
    yield grader
    grader.close()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("25%", "25"),
        ("1/2", "0.5"),
        ("\\frac{1}{2}", "0.5"),
        ("\\dfrac{1}{2}", "1/2"),
        ("A", "a"),
        ("Q1", "q1"),
        ("3.5", "3.50"),
        ("2020", "2,020"),
        ("blue", "Blue"),
        ("5 cm", "5"),
        ("(1, 2)", "(1,2)"),
    ],
)
def test_equivalent_pairs(a: str, b: str) -> None:
    assert equivalent(a, b)
    assert equivalent(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [("12 TWh", "12"), ("Renewables", "renewable"), ("A", "B"), ("0.5", "0.25"), ("3", "3.5")],
)
def test_different_pairs(a: str, b: str) -> None:
    assert not equivalent(a, b)


_MIXED_ANSWERS = [
    "5",
    "5.0",
    "5 cm",
    "\\frac{10}{2}",
    "10/2",
    "(1,2)",
    "[1, 2]",
    "x+1",
    "1+x",
    "\\sqrt{4}",
    "2",
    "A",
    "(A)",
    "\\text{A}",
    "yes",
    "Yes",
    "1,000",
    "1000",
    "1 million",
    "10^6",
    "\\pi",
    "3.14",
    "",
    "$5$",
    "50%",
    "0.5",
]


def test_agrees_with_mathruler_in_both_directions() -> None:
    for a in _MIXED_ANSWERS:
        for b in _MIXED_ANSWERS:
            assert grade_answer(a, b) == mathruler_grade(a, b), (a, b)


def test_stats_count_quick_and_worker_calls() -> None:
    before = grading_stats()
    assert grade_answer("7", "7.0")  # quick path
    assert grade_answer("\\frac{3}{4}", "0.75")  # worker
    assert grade_answer("\\frac{3}{4}", "0.75")  # cache
    spent = grading_stats() - before
    assert (spent.calls, spent.quick, spent.worker_calls, spent.cached) == (3, 1, 1, 1)


def test_timeout_returns_false_counts_and_restarts(fake_grader: AnswerGrader) -> None:
    assert fake_grader.grade("ok", "ok", timeout_s=30)
    assert not fake_grader.grade("sleep", "x", timeout_s=0.3)
    stats = fake_grader.stats
    assert (stats.timeouts, stats.worker_starts) == (1, 1)
    # The next call gets a fresh worker; the timed-out pair is remembered, not retried.
    assert fake_grader.grade("fine", "fine", timeout_s=30)
    assert not fake_grader.grade("sleep", "x", timeout_s=0.2)
    assert fake_grader.stats == GradingStats(
        calls=4, cached=1, worker_calls=3, timeouts=1, worker_starts=2
    )


def test_grader_errors_and_crashes_are_false_and_counted(fake_grader: AnswerGrader) -> None:
    assert not fake_grader.grade("raise", "raise", timeout_s=30)
    assert not fake_grader.grade("exit", "exit", timeout_s=30)
    assert fake_grader.grade("print", "print", timeout_s=30)  # stdout noise is harmless
    stats = fake_grader.stats
    assert (stats.errors, stats.timeouts, stats.worker_starts) == (2, 0, 2)


def test_a_forked_child_starts_its_own_worker(fake_grader: AnswerGrader) -> None:
    assert fake_grader.grade("parent", "parent", timeout_s=30)
    pid = os.fork()
    if pid == 0:  # child: must not talk to (or stop) the parent's worker
        ok = (
            fake_grader.grade("child", "child", timeout_s=30)
            and fake_grader.stats.worker_starts == 2
        )
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert fake_grader.grade("parent again", "parent again", timeout_s=30)
    assert fake_grader.stats.worker_starts == 1


def test_non_strings_are_false(fake_grader: AnswerGrader) -> None:
    assert not fake_grader.grade(None, "x")  # type: ignore[arg-type]
    assert not grade_answer(None, "1")  # type: ignore[arg-type]


def test_pathological_sympy_input_times_out() -> None:
    before = grading_stats()
    # Passes MathRuler's guards, then sympy tries to evaluate a tower of powers.
    assert not grade_answer("9**9**9**9+0.5", "0.5", timeout_s=1.0)
    assert (grading_stats() - before).timeouts == 1
    assert equivalent("\\frac{1}{4}", "0.25")  # the restarted worker still grades


def _equivalent_in_child(pair: tuple[str, str]) -> bool:
    return equivalent(*pair)


def test_works_in_spawned_worker_processes() -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        assert pool.map(_equivalent_in_child, [("1/2", "0.5"), ("x", "y")]) == [True, False]


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_never_raises(a: str, b: str) -> None:
    assert isinstance(equivalent(a, b, timeout_s=2.0), bool)


def test_the_worker_keeps_latex_parser_warnings_off_stderr(capfd) -> None:
    from zeroplay.answers.grader_process import GraderProcess
    from zeroplay.answers.grading import MATHRULER_TARGET

    worker = GraderProcess(MATHRULER_TARGET)  # started now, so its stderr is captured
    try:
        for given in ("\\frac{1}", "\\frac", "\\sqrt{\\frac{2}}"):
            worker.grade(given, "1/2", timeout_s=30.0)
    finally:
        worker.close()
    assert "failed its substitution" not in capfd.readouterr().err
