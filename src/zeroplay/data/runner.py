"""Run a pair generator over indices 0..N-1 with worker processes, skipping finished pairs.

Each pair is made from its own RNG stream (seed, index), so the folder is the same for any
number of workers and after any number of interruptions and resumes.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from zeroplay.data.layout import is_done, remove_temp_files
from zeroplay.data.manifest import ensure_manifest


@dataclass(frozen=True)
class PairOutcome:
    """What happened to one pair: made (with its edit kind) or skipped with a reason."""

    index: int
    made: bool
    edit: str | None = None
    reason: str | None = None


class PairMaker(Protocol):
    """A picklable generator of single pairs."""

    domain: str

    def settings(self) -> dict[str, Any]:
        """Everything that determines the output, stored in the folder manifest."""
        ...

    def start(self) -> None:
        """Per-process set-up (load a renderer, import plotting); called before `make`."""
        ...

    def make(self, index: int, folder: Path) -> PairOutcome:
        """Write pair `index` into `folder`, its diff JSON last."""
        ...


@dataclass
class RunReport:
    requested: int
    already_done: int = 0
    made: int = 0
    skipped: list[PairOutcome] = field(default_factory=list)
    edits: dict[str, int] = field(default_factory=dict)

    def record(self, outcome: PairOutcome) -> None:
        if outcome.made:
            self.made += 1
            if outcome.edit:
                self.edits[outcome.edit] = self.edits.get(outcome.edit, 0) + 1
        else:
            self.skipped.append(outcome)


ProgressCallback = Callable[[int, int], None]

_WORKER_MAKER: PairMaker | None = None


def _worker_start(maker: PairMaker) -> None:
    global _WORKER_MAKER
    maker.start()
    _WORKER_MAKER = maker


def _worker_make(index: int, folder: str) -> PairOutcome:
    assert _WORKER_MAKER is not None, "worker used before its initializer ran"
    return _WORKER_MAKER.make(index, Path(folder))


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def generate_pairs(
    maker: PairMaker,
    folder: Path,
    count: int,
    workers: int = 1,
    progress: ProgressCallback | None = None,
) -> RunReport:
    """Make pairs 0..count-1 in `folder` that are not finished yet.

    `progress(done, total)` is called after each pair (finished ones count as done at once).
    With `workers` > 1 pairs are made in spawned processes; one worker runs in this process.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    if workers < 1:
        raise ValueError("workers must be >= 1")
    ensure_manifest(folder, maker.domain, maker.settings())
    remove_temp_files(folder)
    todo = [index for index in range(count) if not is_done(folder, index)]
    report = RunReport(requested=count, already_done=count - len(todo))
    done = report.already_done
    if progress:
        progress(done, count)
    if not todo:
        return report
    if workers == 1 or len(todo) == 1:
        maker.start()
        for index in todo:
            report.record(maker.make(index, folder))
            done += 1
            if progress:
                progress(done, count)
        return report
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=min(workers, len(todo)),
        mp_context=context,
        initializer=_worker_start,
        initargs=(maker,),
    ) as pool:
        pending: set[Future[PairOutcome]] = set()
        queue = iter(todo)
        # Keep a bounded number of tasks in flight so an interrupt cancels quickly.
        for index in queue:
            pending.add(pool.submit(_worker_make, index, str(folder)))
            if len(pending) >= 4 * workers:
                break
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    report.record(future.result())
                    done += 1
                    if progress:
                        progress(done, count)
                    next_index = next(queue, None)
                    if next_index is not None:
                        pending.add(pool.submit(_worker_make, next_index, str(folder)))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return report
