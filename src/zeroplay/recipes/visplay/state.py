"""Run bookkeeping of the VisPlay recipe: derived seeds, fresh optimizers per phase.

Randomness is derived, not carried: every rollout step, label batch and image draw gets a seed
hashed from (run seed, phase, step, rank), so a phase restarted from a checkpoint replays exactly
what a straight run would have done, without saving generator states.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Any

from zeroplay import runtime
from zeroplay.rl.trainer import Trainer


def derive_seed(*parts: object) -> int:
    """A 62-bit seed from any parts (stable across processes and Python versions)."""
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> 2


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


def prefixed(prefix: str, metrics: dict[str, float]) -> dict[str, float]:
    return {f"{prefix}/{k}": v for k, v in metrics.items()}


def make_two_role_accelerator(
    mode: str,
    mixed_precision: str = "auto",
    trackers: Sequence[str] = (),
    project_dir: str | os.PathLike[str] | None = None,
) -> Any:
    """`runtime.make_accelerator` with DDP's unused-parameter search in LoRA mode: both roles'
    adapters sit in one DDP-wrapped model and a phase's forward passes use only one of them."""
    return runtime.make_accelerator(
        mixed_precision, trackers, project_dir, find_unused_parameters=mode == "lora"
    )
