"""Run bookkeeping of the VisPlay recipe: seeds, checkpoints, resume points and fresh phases.

Randomness is derived, not carried: every rollout step, label batch and image draw gets a seed
hashed from (run seed, phase, step, rank), so a phase restarted from a checkpoint replays exactly
what a straight run would have done, without saving generator states.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zeroplay.engines.base import Completion, Engine
from zeroplay.engines.request import ChatRequest
from zeroplay.recipes.common import make_accelerator
from zeroplay.rl.checkpoint import latest_checkpoint, list_checkpoints, load_checkpoint
from zeroplay.rl.metrics import MetricsLog
from zeroplay.rl.rundir import write_jsonl
from zeroplay.rl.trainer import Trainer


def derive_seed(*parts: object) -> int:
    """A 62-bit seed from any parts (stable across processes and Python versions)."""
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> 2


@dataclass(frozen=True)
class ResumePoint:
    """Where a run restarts: the last checkpoint's phase, its rollout step in that phase, and the
    global optimizer step (0 / None for a fresh run)."""

    global_step: int = 0
    phase: str | None = None
    phase_step: int = 0

    def start_step(self, phase: str) -> int:
        """The rollout step at which `phase` (re)starts."""
        return self.phase_step if phase == self.phase else 0


def resume_point(run_root: Path, policies: Any, trainer: Trainer, accelerator: Any) -> ResumePoint:
    """Load the latest checkpoint (weights of every role, optimizers, RNG) if there is one."""
    path = latest_checkpoint(run_root)
    if path is None:
        return ResumePoint()
    state = load_checkpoint(path, policies, trainer, accelerator)
    recipe = state.get("recipe_state", {})
    return ResumePoint(
        global_step=int(state["step"]),
        phase=recipe.get("phase"),
        phase_step=int(recipe.get("phase_step", 0)),
    )


def prune_checkpoints(run_root: Path, keep_last: int) -> None:
    """Delete mid-phase checkpoints except the newest `keep_last`; the checkpoint that ends a
    training phase is kept, so every version of each role stays loadable (questioner_v1, ...)."""
    found = list_checkpoints(run_root)
    newest = {step for step, _ in found[-keep_last:]}
    for step, path in found:
        if step in newest:
            continue
        state = json.loads((path / "state.json").read_text(encoding="utf-8"))
        if not state.get("recipe_state", {}).get("phase_end"):
            shutil.rmtree(path, ignore_errors=True)


class FreshOptimizers:
    """Restores a role's optimizer and schedule to their initial state at each phase start.

    The released code trains every phase as a new veRL run: new AdamW moments and a new
    schedule, from the previous phase's weights (note §4). The snapshot is taken right after
    the trainer is built, before any step.
    """

    def __init__(self, trainer: Trainer):
        self.trainer = trainer
        self.optimizers = {k: o.state_dict() for k, o in trainer.optimizers.items()}
        self.schedulers = {k: s.state_dict() for k, s in trainer.schedulers.items()}

    def reset(self, role: str) -> None:
        self.trainer.optimizers[role].load_state_dict(self.optimizers[role])
        self.trainer.schedulers[role].load_state_dict(self.schedulers[role])


def forget_phase_records(log: MetricsLog, phase: str, after_step: int) -> None:
    """Drop `phase`'s summary and its step records after `after_step` (work being redone)."""
    records = log.records()
    kept = [
        r
        for r in records
        if not (r.get("phase") == phase and (r.get("summary") or r.get("step", -1) > after_step))
    ]
    if len(kept) != len(records):
        write_jsonl(log.path, kept)


def phase_summary(log: MetricsLog, phase: str) -> dict[str, float]:
    """Means over a training phase's step records of every numeric key (timings included)."""
    records = [r for r in log.records() if r.get("phase") == phase and not r.get("summary")]
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for record in records:
        for key, value in record.items():
            if key in ("step", "phase_step", "iteration") or isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                sums[key] = sums.get(key, 0.0) + float(value)
                counts[key] = counts.get(key, 0) + 1
    out = {key: sums[key] / counts[key] for key in sorted(sums)}
    out["steps"] = float(len(records))
    return out


def prefixed(prefix: str, metrics: dict[str, float]) -> dict[str, float]:
    return {f"{prefix}/{k}": v for k, v in metrics.items()}


class CountingEngine:
    """Passes requests through and counts the completion tokens generated (for tokens_per_s)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.tokens = 0

    def generate(self, requests: Sequence[ChatRequest]) -> list[list[Completion]]:
        out = self.engine.generate(requests)
        self.tokens += sum(c.num_tokens for group in out for c in group)
        return out


def gather(accelerator: Any, items: list[Any]) -> list[Any]:
    """Every rank's `items`, concatenated in rank order, on every rank."""
    if accelerator.num_processes == 1:
        return list(items)
    from accelerate.utils import gather_object

    return list(gather_object(list(items)))


def make_two_role_accelerator(mode: str, mixed_precision: str = "auto") -> Any:
    """`make_accelerator` with DDP's unused-parameter search in LoRA mode: both roles' adapters
    sit in one DDP-wrapped model and a phase's forward passes use only one of them."""
    return make_accelerator(mixed_precision, find_unused_parameters=mode == "lora")
