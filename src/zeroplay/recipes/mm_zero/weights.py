"""The weights behind MM-Zero's roles: three policies, a phase-start anchor, the phase trainer.

The released code ran every phase as a new EasyR1 run (note §6): the trained role starts from its
previous version, gets a fresh optimizer, and its KL reference is that starting model. The
"solver" service of the CodeGen phase ran the CodeGen starting weights (§11.1). zeroplay keeps
all roles in one process (LoRA adapters on one base or full copies) plus, when needed, the RL
core's `phase_start` anchor: the KL reference (`kl_reference="phase_start"`) and the
CodeGen-phase judge (`codegen_judge="codegen_init"`) both use it.
"""

from __future__ import annotations

from typing import Any

from zeroplay.models.loader import LoraSettings, ModelSettings
from zeroplay.rl.policies import ANCHOR, KlReference, Policies, PolicyMode
from zeroplay.rl.trainer import Trainer

ROLES: tuple[str, ...] = ("proposer", "codegen", "solver")
SNAPSHOT = ANCHOR


def load_roles(
    settings: ModelSettings,
    mode: PolicyMode,
    lora: LoraSettings | None,
    *,
    snapshot: bool,
    kl_reference: KlReference,
) -> Policies:
    """Load the three roles (plus `phase_start` when `snapshot`); `kl_reference="phase_start"`
    needs the snapshot."""
    if mode not in ("lora", "separate"):
        raise ValueError(f"MM-Zero trains three distinct roles; mode {mode!r} cannot hold them")
    return Policies.load(settings, ROLES, mode, lora, anchor=snapshot, kl_reference=kl_reference)


class PhaseTrainer:
    """The trainer of the phase in progress, as checkpoints see it.

    Each training phase gets a fresh `Trainer` (a fresh optimizer, as each released phase was a
    new run). A checkpoint stores the phase's role and its trainer state; loading restores the
    state only into a trainer of the same role, so a phase-end checkpoint can seed the next
    phase's weights without its optimizer.
    """

    def __init__(self) -> None:
        self.role: str | None = None
        self.trainer: Trainer | None = None

    def start(self, role: str, trainer: Trainer) -> None:
        self.role, self.trainer = role, trainer

    def state_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "trainer": self.trainer.state_dict() if self.trainer is not None else None,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.trainer is not None and state.get("role") == self.role and state.get("trainer"):
            self.trainer.load_state_dict(state["trainer"])
