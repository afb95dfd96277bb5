"""Resolving `--suite NAME_OR_FILE` to a benchmark.

In order: an existing file (`.jsonl`, or `.tsv` in VLMEvalKit's layout); a synthetic suite name
(generated once with default options into the zeroplay cache, `$ZEROPLAY_CACHE/suites/`); a
VLMEvalKit benchmark name with `NAME.tsv` (or `NAME.jsonl`) under `$LMUData` (default
`~/LMUData`), where VLMEvalKit keeps its downloaded TSVs.
"""

from __future__ import annotations

import os
from pathlib import Path

from zeroplay import __version__
from zeroplay.eval.errors import BenchmarkError
from zeroplay.eval.items import Benchmark
from zeroplay.eval.jsonl_format import load_jsonl
from zeroplay.eval.suites.common import Progress, SuiteOptions
from zeroplay.eval.suites.registry import SUITES, cached_suite_path, ensure_cached_suite
from zeroplay.eval.tsv_format import load_tsv

SUFFIXES = (".jsonl", ".tsv")


def lmu_data_root() -> Path:
    """VLMEvalKit's data folder: `$LMUData`, else `~/LMUData`."""
    # VLMEvalKit spells the variable in mixed case.
    return Path(os.environ.get("LMUData") or Path.home() / "LMUData").expanduser()  # noqa: SIM112


def load_benchmark_file(path: Path) -> Benchmark:
    """Load a `.jsonl` or `.tsv` benchmark file."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return load_jsonl(path)
    if suffix == ".tsv":
        return load_tsv(path)
    raise BenchmarkError(f"{str(path)!r}: unknown benchmark file type; use .jsonl or .tsv")


def default_suite_path(name: str) -> Path:
    """Where `--suite NAME` keeps synthetic suite NAME made with default options."""
    from zeroplay.models.tiny import cache_dir

    return cached_suite_path(cache_dir(), name, SuiteOptions(), __version__)


def suite_needs_build(spec: str) -> bool:
    """True when `spec` names a synthetic suite that is not generated yet (and not a file)."""
    return spec in SUITES and not Path(spec).exists() and not default_suite_path(spec).is_file()


def resolve_benchmark_path(spec: str, progress: Progress | None = None) -> Path:
    """The file `spec` names (see the module docstring); synthetic suites are built if needed."""
    path = Path(spec).expanduser()
    if path.is_file():
        return path
    if path.exists():
        raise BenchmarkError(f"{spec!r} is not a file")
    if spec in SUITES:
        return ensure_cached_suite(default_suite_path(spec), spec, SuiteOptions(), progress)
    looks_like_name = "/" not in spec and "\\" not in spec and not path.suffix
    if not looks_like_name:
        raise BenchmarkError(f"benchmark file {spec!r} does not exist")
    for suffix in SUFFIXES:
        candidate = lmu_data_root() / f"{spec}{suffix}"
        if candidate.is_file():
            return candidate
    raise BenchmarkError(
        f"unknown suite {spec!r}: not a file, not a synthetic suite ({', '.join(SUITES)}), "
        f"and no {spec}.tsv or {spec}.jsonl in {lmu_data_root()}"
    )


def load_benchmark(spec: str, progress: Progress | None = None) -> Benchmark:
    """The benchmark `spec` names."""
    return load_benchmark_file(resolve_benchmark_path(spec, progress))


def limited(benchmark: Benchmark, limit: int | None) -> Benchmark:
    """The first `limit` items in file order (all when None)."""
    if limit is None or limit >= len(benchmark):
        return benchmark
    return Benchmark(benchmark.name, benchmark.items[:limit], benchmark.source, benchmark.format)
