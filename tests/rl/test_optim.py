"""The optimizer: torch's fused AdamW where it applies, the same update as the unfused one, and
version counters bumped by every step (the vLLM engine's staleness check reads them)."""

from __future__ import annotations

import torch

from zeroplay.rl.config import OptimConfig
from zeroplay.rl.optim import can_fuse, make_optimizer


def _params(seed: int) -> list[torch.nn.Parameter]:
    g = torch.Generator().manual_seed(seed)
    return [torch.nn.Parameter(torch.randn(5, 3, generator=g)) for _ in range(3)]


def test_fused_adamw_steps_like_the_unfused_one_and_bumps_versions():
    cfg = OptimConfig(lr=0.1, weight_decay=0.01)
    fused, plain = _params(0), _params(0)
    assert can_fuse(fused)
    opt, _ = make_optimizer(fused, cfg, total_steps=3)
    assert opt.defaults["fused"]
    reference = torch.optim.AdamW(
        plain, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, weight_decay=cfg.weight_decay
    )
    for step in range(3):
        g = torch.Generator().manual_seed(10 + step)
        for a, b in zip(fused, plain, strict=True):
            a.grad = torch.randn(a.shape, generator=g)
            b.grad = a.grad.clone()
        before = [p._version for p in fused]
        opt.step()
        reference.step()
        assert all(p._version > v for p, v in zip(fused, before, strict=True))
    for a, b in zip(fused, plain, strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-6)


def test_fused_only_for_plain_tensors_on_one_cpu_or_cuda_device():
    assert not can_fuse([torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))])
    assert not can_fuse([torch.nn.Parameter(torch.zeros(2, device="meta"))])
