"""The synthetic suites by name, and a cache of suites generated on demand for `eval run`."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from zeroplay.eval.suites.common import Progress, SuiteOptions, files_dir


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    make: Callable[[SuiteOptions, Path, Progress | None], int]


def _clevr_qa(options: SuiteOptions, out: Path, progress: Progress | None) -> int:
    from zeroplay.eval.suites.clevr_qa import make_clevr_qa

    return make_clevr_qa(options, out, progress)


def _chart_qa(options: SuiteOptions, out: Path, progress: Progress | None) -> int:
    from zeroplay.eval.suites.chart_qa import make_chart_qa

    return make_chart_qa(options, out, progress)


def _spot_the_difference(options: SuiteOptions, out: Path, progress: Progress | None) -> int:
    from zeroplay.eval.suites.spot_difference import make_spot_the_difference

    return make_spot_the_difference(options, out, progress)


def _toy_qa(options: SuiteOptions, out: Path, progress: Progress | None) -> int:
    from zeroplay.eval.suites.toy_qa import make_toy_qa

    return make_toy_qa(options, out, progress)


SUITES: dict[str, Suite] = {
    "clevr-qa": Suite(
        "clevr-qa",
        "counting, existence, attributes, comparisons and spatial relations in CLEVR scenes",
        _clevr_qa,
    ),
    "chart-qa": Suite(
        "chart-qa", "value lookup, extremes, differences, comparisons over charts", _chart_qa
    ),
    "spot-the-difference": Suite(
        "spot-the-difference",
        "which object or property changed between two CLEVR images",
        _spot_the_difference,
    ),
    "toy-qa": Suite(
        "toy-qa",
        "questions about the toy model's flat-shaded scenes (held out by seed from its training)",
        _toy_qa,
    ),
}


def make_suite(
    name: str, options: SuiteOptions, out: Path, progress: Progress | None = None
) -> int:
    """Generate suite `name` into `out` (a .jsonl path); returns the number of items."""
    if name not in SUITES:
        raise KeyError(f"unknown suite {name!r}; choose from {', '.join(SUITES)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    return SUITES[name].make(options, out, progress)


def cached_suite_path(cache_root: Path, name: str, options: SuiteOptions, version: str) -> Path:
    """Where `eval run --suite NAME` keeps the suite it generated with default options."""
    return cache_root / "suites" / f"{name}-n{options.n}-seed{options.seed}-v{version}.jsonl"


def ensure_cached_suite(
    path: Path, name: str, options: SuiteOptions, progress: Progress | None = None
) -> Path:
    """Generate the suite at `path` unless it is already there (built in a temporary folder and
    moved into place, so an interrupted build is never mistaken for a finished one)."""
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=path.parent))
    staged = scratch / path.name
    make_suite(name, options, staged, progress)
    target_files = files_dir(path)
    if not target_files.exists():  # else another process finished the same suite first
        os.replace(files_dir(staged), target_files)
        os.replace(staged, path)
    shutil.rmtree(scratch, ignore_errors=True)
    return path
