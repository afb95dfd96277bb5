"""Answer equivalence with MathRuler's `grade_answer` semantics, safe against hanging comparisons.

`grade_answer(given, gold)` is one direction of MathRuler's PRM800K-style grader (visplay.md
§1.2): mathd normalisation, its own normalisation (units, percent, LaTeX, case), tuples, and
`sympy.simplify(gold - given) == 0`. It is asymmetric; `equivalent` tries both directions, as the
majority votes of VisPlay and MM-Zero do. R-Zero's users saw this grader loop forever (visplay.md
§9.1), so each call has a deadline:

1. a cheap in-process verdict where the result is certain (`quick_grade.quick_verdict`);
2. a small cache of earlier verdicts;
3. otherwise MathRuler itself, in a reusable worker process (`grader_process.GraderProcess`) that
   is killed and restarted when a call passes `timeout_s`. A timed-out call returns False and is
   counted in `grading_stats()`; so is a grader error or a worker crash.

Requires the `mathruler` package and its undeclared dependency `pylatexenc`.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from dataclasses import dataclass

from zeroplay.answers.grader_process import GraderProcess, Outcome
from zeroplay.answers.quick_grade import quick_verdict

MATHRULER_TARGET = "mathruler.grader:grade_answer"
# Pairs longer than this are not cached (they are rare and would pin memory).
_MAX_CACHED_CHARS = 2048


@dataclass(frozen=True)
class GradingStats:
    """Counts of one-direction grading calls and how each was decided."""

    calls: int = 0
    quick: int = 0  # decided in-process without the worker
    cached: int = 0  # answered from the cache
    worker_calls: int = 0  # sent to the worker process
    timeouts: int = 0  # worker calls that passed their deadline (verdict False)
    errors: int = 0  # worker calls where the grader raised or the worker died (verdict False)
    worker_starts: int = 0  # worker processes started (the first, then one per timeout/crash)

    def __sub__(self, other: GradingStats) -> GradingStats:
        """Counts accumulated since `other` was taken."""
        return GradingStats(
            **{
                field.name: getattr(self, field.name) - getattr(other, field.name)
                for field in dataclasses.fields(self)
            }
        )


class AnswerGrader:
    """`grade`/`equivalent` with a quick path, a cache and a sandboxed worker; one per process.

    `target` names the one-direction grading function run in the worker ("module:function").
    `quick_path` applies `quick_verdict`, which mirrors MathRuler: turn it off for another target.
    Safe to call from several threads (calls to the worker are serialised).
    """

    def __init__(
        self,
        target: str = MATHRULER_TARGET,
        *,
        quick_path: bool = True,
        memory_limit_mb: int = 4096,
        cache_size: int = 65536,
    ) -> None:
        self.quick_path = quick_path
        self.cache_size = cache_size
        self._process = GraderProcess(target, memory_limit_mb=memory_limit_mb)
        # (given, gold) -> (verdict, timeout it was decided under; None when decided for good)
        self._cache: OrderedDict[tuple[str, str], tuple[bool, float | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(
            (f.name for f in dataclasses.fields(GradingStats) if f.name != "worker_starts"), 0
        )

    @property
    def stats(self) -> GradingStats:
        """A snapshot of the counters (subtract two snapshots for a per-step count)."""
        with self._lock:
            return GradingStats(**self._counts, worker_starts=self._process.starts)

    def grade(self, given: str, gold: str, *, timeout_s: float = 5.0) -> bool:
        """Whether `given` is a correct answer for `gold`; False on timeout or grader failure."""
        with self._lock:
            self._counts["calls"] += 1
            if self.quick_path:
                verdict = quick_verdict(given, gold)
                if verdict is not None:
                    self._counts["quick"] += 1
                    return verdict
            elif not isinstance(given, str) or not isinstance(gold, str):
                return False
            key = (given, gold)
            cached = self._cache.get(key)
            if cached is not None and (cached[1] is None or timeout_s <= cached[1]):
                self._cache.move_to_end(key)
                self._counts["cached"] += 1
                return cached[0]
            self._counts["worker_calls"] += 1
            outcome = self._process.grade(given, gold, timeout_s)
            if outcome is Outcome.TIMEOUT:
                self._counts["timeouts"] += 1
            elif outcome is Outcome.ERROR:
                self._counts["errors"] += 1
            verdict = outcome is Outcome.MATCH
            # A timeout is remembered only for calls that allow no more time than this one had.
            self._remember(key, verdict, timeout_s if outcome is Outcome.TIMEOUT else None)
            return verdict

    def equivalent(self, a: str, b: str, *, timeout_s: float = 5.0) -> bool:
        """`grade(a, b) or grade(b, a)`; each direction gets its own `timeout_s`."""
        return self.grade(a, b, timeout_s=timeout_s) or self.grade(b, a, timeout_s=timeout_s)

    def close(self) -> None:
        """Stop the worker process; a later call starts a new one."""
        with self._lock:
            self._process.close()

    def _remember(self, key: tuple[str, str], verdict: bool, timeout_s: float | None) -> None:
        if self.cache_size <= 0 or len(key[0]) + len(key[1]) > _MAX_CACHED_CHARS:
            return
        self._cache[key] = (verdict, timeout_s)
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)


_default_grader: AnswerGrader | None = None
_default_lock = threading.Lock()


def default_grader() -> AnswerGrader:
    """This process's shared MathRuler grader (its worker starts on the first uncertain pair)."""
    global _default_grader
    with _default_lock:
        if _default_grader is None:
            _default_grader = AnswerGrader()
        return _default_grader


def grade_answer(given: str, gold: str, *, timeout_s: float = 5.0) -> bool:
    """MathRuler's `grade_answer(given, gold)` (one direction), False if it takes over `timeout_s`."""
    return default_grader().grade(given, gold, timeout_s=timeout_s)


def equivalent(a: str, b: str, *, timeout_s: float = 5.0) -> bool:
    """Two-way equivalence: `grade_answer(a, b) or grade_answer(b, a)`, each with `timeout_s`."""
    return default_grader().equivalent(a, b, timeout_s=timeout_s)


def grading_stats() -> GradingStats:
    """Counters of the shared grader: calls, quick verdicts, worker calls, timeouts, errors."""
    return default_grader().stats
