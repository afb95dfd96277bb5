"""LoRA adapter surgery: copy one adapter's weights into another, re-initialise one, seeded.

Used by the per-phase KL anchor (`Policies.take_snapshot`) and by restarting a role from the
base model (`Policies.restart_from_base`).
"""

from __future__ import annotations

import torch
from torch import nn


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
