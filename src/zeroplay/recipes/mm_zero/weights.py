"""The weights behind MM-Zero's roles: three policies, a phase-start snapshot, Solver restarts.

The released code ran every phase as a new EasyR1 run (note §6): the trained role starts from its
previous version, gets a fresh optimizer, and its KL reference is that starting model. The
"solver" service of the CodeGen phase ran the CodeGen starting weights (§11.1). zeroplay keeps
all roles in one process (`RolePolicies`, LoRA adapters on one base or full copies) and adds one
more policy, `phase_start`, holding a copy of the trained role's weights at the start of its
phase: the KL reference (`kl_reference="phase_start"`) and the CodeGen-phase judge
(`codegen_judge="codegen_init"`) both use it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from typing import Any, Literal

import torch
from torch import nn

from zeroplay.models.loader import LoraSettings, ModelSettings, load_policy
from zeroplay.rl.policies import Policies, PolicyMode
from zeroplay.rl.trainer import Trainer

ROLES: tuple[str, ...] = ("proposer", "codegen", "solver")
SNAPSHOT = "phase_start"
KlReference = Literal["phase_start", "base"]


class RolePolicies(Policies):
    """`Policies` for the three roles, with the `phase_start` snapshot when it is needed."""

    settings: ModelSettings
    kl_reference: KlReference = "base"

    @classmethod
    def load_roles(
        cls,
        settings: ModelSettings,
        mode: PolicyMode,
        lora: LoraSettings | None,
        *,
        snapshot: bool,
        kl_reference: KlReference,
    ) -> RolePolicies:
        """Load the roles (plus `phase_start` when `snapshot`); `kl_reference="phase_start"`
        needs the snapshot."""
        if mode not in ("lora", "separate"):
            raise ValueError(f"MM-Zero trains three distinct roles; mode {mode!r} cannot hold them")
        if kl_reference == "phase_start" and not snapshot:
            raise ValueError("kl_reference='phase_start' needs the phase_start snapshot")
        names = [*ROLES, SNAPSHOT] if snapshot else list(ROLES)
        policies = cls.load(settings, names, mode, lora)
        assert isinstance(policies, RolePolicies)
        policies.settings = settings
        policies.kl_reference = kl_reference
        return policies

    @property
    def has_snapshot(self) -> bool:
        return SNAPSHOT in self.models

    def take_snapshot(self, role: str) -> None:
        """Copy `role`'s current weights into `phase_start`."""
        if not self.has_snapshot:
            raise RuntimeError("this run holds no phase_start snapshot")
        if self.mode == "lora":
            copy_adapter(self.model(role), role, SNAPSHOT)
        else:
            self.models[SNAPSHOT].load_state_dict(self.models[role].state_dict())

    def restart_from_base(self, role: str, seed: int) -> None:
        """Put `role` back at the base model: a freshly initialised LoRA adapter (B = 0, so the
        adapter adds nothing) or the base weights reloaded into its full copy."""
        if self.mode == "lora":
            reset_adapter(self.model(role), role, seed)
            return
        fresh, _ = load_policy(replace(self.settings, lora=None))
        self.models[role].load_state_dict(fresh.state_dict())
        del fresh

    def reference(self, name: str) -> AbstractContextManager[nn.Module]:
        """The KL reference of `name`: its phase-start snapshot, or (`"base"`) the RL core's."""
        if self.kl_reference == "base":
            return super().reference(name)
        if self.mode == "lora":
            return self._snapshot_adapter(name)
        return nullcontext(self.models[SNAPSHOT])

    @contextlib.contextmanager
    def _snapshot_adapter(self, name: str) -> Iterator[nn.Module]:
        model = self.model(name)
        model.set_adapter(SNAPSHOT)
        try:
            yield model
        finally:
            # Back to the trained adapter with every LoRA tensor trainable again: gradients of a
            # leaf whose requires_grad was switched off would be dropped at backward.
            self.activate(name)


def _adapter_parameters(model: nn.Module, adapter: str) -> dict[str, nn.Parameter]:
    """LoRA parameters of one adapter, keyed by their name with the adapter name removed."""
    mark = f".{adapter}."
    return {
        name.replace(mark, ".#."): param
        for name, param in model.named_parameters()
        if "lora_" in name and mark in name
    }


@torch.no_grad()
def copy_adapter(model: nn.Module, source: str, target: str) -> None:
    """Overwrite adapter `target`'s LoRA weights with adapter `source`'s."""
    src = _adapter_parameters(model, source)
    dst = _adapter_parameters(model, target)
    if src.keys() != dst.keys() or not src:
        raise ValueError(f"adapters {source!r} and {target!r} do not have the same layout")
    for key, param in src.items():
        dst[key].copy_(param)


@torch.no_grad()
def reset_adapter(model: nn.Module, adapter: str, seed: int) -> None:
    """Re-initialise one LoRA adapter as PEFT does (A Kaiming-uniform, B zero), seeded."""
    layers = [
        m
        for m in model.modules()
        if hasattr(m, "reset_lora_parameters") and adapter in getattr(m, "lora_A", {})
    ]
    if not layers:
        raise ValueError(f"no LoRA adapter named {adapter!r}")
    # Fork the generators of every device the adapter lives on, so the global streams are left
    # as they were (manual_seed seeds the CPU and every CUDA device).
    cuda = sorted({p.device.index or 0 for p in model.parameters() if p.device.type == "cuda"})
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        for layer in layers:
            layer.reset_lora_parameters(adapter, True)


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
