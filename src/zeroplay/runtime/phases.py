"""Phased runs: named phases in order, their markers, checkpoints and where a rerun starts.

A phase runs once: it writes its artifacts, then `phases/NAME.done` (DESIGN principle 5). A
training phase checkpoints with its name and its step inside the phase; the checkpoint that ends
it is a phase boundary, never pruned (it is also the next phase's start). Running the same
command again starts at the first unfinished phase, mid-phase from the newest checkpoint when
that checkpoint lies inside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zeroplay.rl.checkpoint import (
    checkpoint_recipe_state,
    list_checkpoints,
    prune_checkpoints,
    save_checkpoint,
)
from zeroplay.rl.policies import Policies
from zeroplay.rl.rundir import RunDir, read_jsonl, write_jsonl
from zeroplay.runtime.errors import ConfigError


@dataclass(frozen=True)
class ResumePoint:
    """The newest checkpoint: its path, global step, phase and step within that phase."""

    path: Path
    step: int
    phase: str
    phase_step: int

    def start_step(self, phase: str) -> int:
        """The step at which `phase` (re)starts: this checkpoint's step if it lies in `phase`."""
        return self.phase_step if phase == self.phase else 0


class Phases:
    """The named phases of one run, in order, over its run directory."""

    def __init__(self, run: RunDir, names: Sequence[str]):
        self.run = run
        self.names = list(names)

    def done(self, name: str) -> bool:
        return self.run.phase_done(name)

    def all_done(self) -> bool:
        return all(self.done(name) for name in self.names)

    def pending(self) -> list[str]:
        """The unfinished phases, in order."""
        return [name for name in self.names if not self.done(name)]

    def resume_point(self) -> ResumePoint | None:
        """The newest checkpoint, checked against the plan: it must not lie in a phase after the
        first unfinished one (the run directory would be inconsistent)."""
        found = list_checkpoints(self.run.root)
        if not found:
            return None
        step, path = found[-1]
        state = checkpoint_recipe_state(path)
        point = ResumePoint(path, step, str(state.get("phase")), int(state.get("phase_step", 0)))
        pending = self.pending()
        if pending and (
            point.phase not in self.names
            or self.names.index(point.phase) > self.names.index(pending[0])
        ):
            raise ConfigError(
                f"{self.run.root}: checkpoint {path.name} ({point.phase}) is ahead of the "
                f"first unfinished phase {pending[0]}; the run directory is inconsistent"
            )
        return point

    def truncate_metrics(self, step: int) -> None:
        """Keep the step records up to the resumed `step` and the summaries of finished phases;
        the rest belongs to work the resumed run redoes."""
        records = read_jsonl(self.run.metrics)
        kept = [
            r
            for r in records
            if (self.done(str(r.get("phase"))) if r.get("summary") else r.get("step", 0) <= step)
        ]
        if len(kept) != len(records):
            write_jsonl(self.run.metrics, kept)

    def step_records(self, name: str) -> list[dict[str, Any]]:
        """The step records (not the summary) phase `name` logged."""
        return [
            r
            for r in read_jsonl(self.run.metrics)
            if r.get("phase") == name and not r.get("summary")
        ]

    def mark(self, name: str, info: Mapping[str, Any], accelerator: Any) -> None:
        """Write the phase's completion marker (after every artifact) on the main process."""
        if accelerator.is_main_process:
            self.run.mark_phase(name, dict(info))
        accelerator.wait_for_everyone()


def save_phase_checkpoint(
    run: RunDir,
    step: int,
    policies: Policies,
    trainer: Any,
    accelerator: Any,
    *,
    phase: str,
    iteration: int,
    phase_step: int,
    phase_end: bool,
    keep_last: int,
    count_boundaries: bool,
) -> Path:
    """Checkpoint global `step` at `phase_step` of `phase`, then prune old mid-phase ones (see
    `prune_checkpoints`); every rank calls it."""
    state = {"phase": phase, "iteration": iteration, "phase_step": phase_step}
    state["phase_end"] = phase_end
    path = save_checkpoint(
        run.root,
        step,
        policies,
        trainer,
        accelerator,
        recipe_state=state,
        keep_last=None,
    )
    if accelerator.is_main_process:
        prune_checkpoints(run.root, keep_last, count_boundaries=count_boundaries)
    accelerator.wait_for_everyone()
    return path


def mean_of_numbers(
    records: Sequence[Mapping[str, Any]], prefix: str = "", skip: Sequence[str] = ()
) -> dict[str, float]:
    """Mean over `records` of every numeric key starting with `prefix` (booleans and `skip`
    keys left out), sorted by key."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for record in records:
        for key, value in record.items():
            if not key.startswith(prefix) or key in skip or isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                sums[key] = sums.get(key, 0.0) + float(value)
                counts[key] = counts.get(key, 0) + 1
    return {key: sums[key] / counts[key] for key in sorted(sums)}
