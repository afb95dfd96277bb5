"""AdamW with constant or cosine-with-warmup learning rate, per trained policy."""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from zeroplay.rl.config import OptimConfig


def lr_factor(step: int, total: int, cfg: OptimConfig) -> float:
    """Multiplier of the base LR at optimizer step `step` (0-based) of `total`.

    Linear warmup over `warmup_ratio * total` steps, then constant or a cosine decay from 1 to
    `min_lr_ratio` at the last step.
    """
    warmup = round(cfg.warmup_ratio * total)
    if warmup and step < warmup:
        return (step + 1) / warmup
    if cfg.schedule == "constant":
        return 1.0
    span = max(1, total - warmup)
    progress = min(1.0, (step - warmup) / span)
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


FUSED_DEVICES = ("cpu", "cuda")
FUSED_DTYPES = (torch.float32, torch.bfloat16, torch.float16)


def can_fuse(params: list[torch.nn.Parameter]) -> bool:
    """True when torch's fused AdamW kernel takes these parameters: plain (not sharded DTensor)
    floating tensors on one CPU or CUDA device. One kernel per step instead of a dozen ops per
    tensor: 5x faster on the benchmark's CPU model (115 -> 22 ms for 23 M parameters), and
    what TRL's trainer uses by default."""
    from torch.distributed.tensor import DTensor

    devices = {p.device for p in params}
    return (
        len(devices) == 1
        and next(iter(devices)).type in FUSED_DEVICES
        and all(p.dtype in FUSED_DTYPES and not isinstance(p, DTensor) for p in params)
    )


def make_optimizer(
    params: Iterable[torch.nn.Parameter], cfg: OptimConfig, total_steps: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW over `params` and its scheduler for `total_steps` optimizer steps."""
    params = [p for p in params]
    if not params:
        raise ValueError("no trainable parameters for this policy")
    fused = can_fuse(params)
    opt = torch.optim.AdamW(
        params,
        lr=cfg.lr,
        betas=cfg.betas,
        eps=cfg.eps,
        weight_decay=cfg.weight_decay,
        fused=fused or None,
    )
    if fused:
        # The fused kernel updates the parameters without bumping their in-place version
        # counters; the vLLM engine reads those counters to know its copy of the weights is
        # stale, so every step bumps them as an unfused step would.
        opt.register_step_post_hook(lambda *_: torch.autograd.graph.increment_version(params))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: lr_factor(step, max(1, total_steps), cfg)
    )
    return opt, sched
