"""Everything the report reads from a run directory, loaded once, tolerant of damage.

A run may be unfinished, resumed or hand-edited: unreadable lines and files are skipped and
listed in `problems` (the report shows them), never raised.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from zeroplay.eval.results import RESULTS_FORMAT

# Top-level folders that never hold eval results (large, and written by other phases).
NOT_EVAL_DIRS = frozenset({"checkpoints", "data", "rollouts", "plots", "phases"})
_ITERATION_IN_PATH = re.compile(r"iter(?:ation)?[_-]?(\d+)", re.IGNORECASE)


@dataclass
class RolloutRecord:
    """One line of a rollouts file: the record and where it came from."""

    data: dict[str, Any]
    source: str  # path relative to the run directory
    line: int

    @property
    def iteration(self) -> int | None:
        """The record's `iteration`, else a number in an `iter_N` folder or file name."""
        value = self.data.get("iteration")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        match = _ITERATION_IN_PATH.search(self.source)
        return int(match.group(1)) if match else None

    @property
    def step(self) -> int | None:
        value = self.data.get("step")
        return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class EvalResult:
    path: str  # relative to the run directory
    document: dict[str, Any]


@dataclass
class RunFiles:
    root: Path
    config: dict[str, Any] = field(default_factory=dict)
    config_text: str = ""
    metrics: list[dict[str, Any]] = field(default_factory=list)  # one per optimizer step
    summaries: list[dict[str, Any]] = field(default_factory=list)  # `"summary": true` records
    rollouts: list[RolloutRecord] = field(default_factory=list)
    eval_results: list[EvalResult] = field(default_factory=list)
    phases: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def read_jsonl_lenient(path: Path, problems: list[str], name: str) -> list[tuple[int, dict]]:
    """(line number, object) for each line that holds a JSON object; others are counted."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        problems.append(f"{name}: cannot read ({error.strerror or error})")
        return []
    out, bad = [], 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if isinstance(value, dict):
            out.append((number, value))
        else:
            bad += 1
    if bad:
        problems.append(f"{name}: {bad} line(s) are not JSON objects and were skipped")
    return out


def load_run(root: Path) -> RunFiles:
    """Read config, metrics, rollouts, eval results and phase markers of the run at `root`."""
    run = RunFiles(root=Path(root))
    _load_config(run)
    _load_metrics(run)
    _load_rollouts(run)
    _load_eval_results(run)
    _load_phases(run)
    return run


def _load_config(run: RunFiles) -> None:
    path = run.root / "config.yaml"
    if not path.is_file():
        run.problems.append("config.yaml is missing")
        return
    run.config_text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = yaml.safe_load(run.config_text)
    except yaml.YAMLError:
        run.problems.append("config.yaml is not valid YAML")
        return
    if isinstance(data, dict):
        run.config = data
    else:
        run.problems.append("config.yaml does not hold a mapping")


def _load_metrics(run: RunFiles) -> None:
    path = run.root / "metrics.jsonl"
    if not path.is_file():
        run.problems.append("metrics.jsonl is missing")
        return
    for _, record in read_jsonl_lenient(path, run.problems, "metrics.jsonl"):
        (run.summaries if record.get("summary") is True else run.metrics).append(record)


def _load_rollouts(run: RunFiles) -> None:
    folder = run.root / "rollouts"
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*.jsonl")):
        if path.name.startswith("."):  # a temp file of an atomic write in progress
            continue
        name = run.rel(path)
        for number, record in read_jsonl_lenient(path, run.problems, name):
            run.rollouts.append(RolloutRecord(record, name, number))


def _eval_candidates(root: Path) -> list[Path]:
    """`*.json` files of the run outside the folders that never hold results (not walked)."""
    found = []
    for child in root.iterdir():
        if child.is_dir() and child.name not in NOT_EVAL_DIRS:
            found.extend(child.rglob("*.json"))
        elif child.suffix == ".json":
            found.append(child)
    return sorted(p for p in found if not p.name.startswith(".") and p.is_file())


def _load_eval_results(run: RunFiles) -> None:
    for path in _eval_candidates(run.root):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not JSON: not a results file
        if not isinstance(document, dict) or document.get("format") != RESULTS_FORMAT:
            continue
        if not isinstance(document.get("summary"), dict):
            run.problems.append(f"{run.rel(path)}: eval results without a summary")
            continue
        run.eval_results.append(EvalResult(run.rel(path), document))


def _load_phases(run: RunFiles) -> None:
    folder = run.root / "phases"
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.done")):
        try:
            info = json.loads(path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            info = {}
        run.phases[path.name[: -len(".done")]] = info if isinstance(info, dict) else {}
