"""VisPlay run bookkeeping: derived seeds, prefixed metrics, fresh optimizers per phase."""

from __future__ import annotations

import pytest
import torch

from zeroplay.recipes.visplay.state import FreshOptimizers, derive_seed, prefixed


def test_derive_seed_is_stable_and_distinct():
    # sha256("0/engine/questioner_1/3/0")[:8] >> 2, fixed across processes and runs
    assert derive_seed(0, "engine", "questioner_1", 3, 0) == derive_seed(
        "0/engine/questioner_1/3/0"
    )
    seeds = {derive_seed(0, "engine", "questioner_1", step, 0) for step in range(100)}
    assert len(seeds) == 100
    assert all(0 <= s < 2**62 for s in seeds)
    assert derive_seed(1, "x") != derive_seed(2, "x")


def test_prefixed():
    assert prefixed("label", {"kept": 1.0}) == {"label/kept": 1.0}


class _Trainer:
    """The two attributes FreshOptimizers uses, around a real AdamW and LambdaLR."""

    def __init__(self):
        self.param = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        optimizer = torch.optim.AdamW([self.param], lr=0.1)
        self.optimizers = {"questioner": optimizer}
        self.schedulers = {
            "questioner": torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0 / (1 + s))
        }

    def step(self):
        self.param.grad = torch.ones_like(self.param)
        self.optimizers["questioner"].step()
        self.schedulers["questioner"].step()


def test_fresh_optimizers_restore_moments_and_schedule():
    trainer = _Trainer()
    fresh = FreshOptimizers(trainer)
    trainer.step()
    trainer.step()
    optimizer = trainer.optimizers["questioner"]
    assert optimizer.state[trainer.param]["step"] == 2
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 / 3)
    fresh.reset("questioner")
    assert len(optimizer.state) == 0
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1)
    assert trainer.schedulers["questioner"].last_epoch == 0
    trainer.step()  # the first step after a reset is a first step again
    assert optimizer.state[trainer.param]["step"] == 1
