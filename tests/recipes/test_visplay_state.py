"""VisPlay run bookkeeping: derived seeds, checkpoint pruning, metrics cleanup, fresh optimizers."""

from __future__ import annotations

import json

import pytest
import torch

from zeroplay.recipes.visplay.state import (
    CountingEngine,
    FreshOptimizers,
    ResumePoint,
    derive_seed,
    forget_phase_records,
    phase_summary,
    prefixed,
    prune_checkpoints,
)
from zeroplay.rl.metrics import MetricsLog


def test_derive_seed_is_stable_and_distinct():
    # sha256("0/engine/questioner_1/3/0")[:8] >> 2, fixed across processes and runs
    assert derive_seed(0, "engine", "questioner_1", 3, 0) == derive_seed(
        "0/engine/questioner_1/3/0"
    )
    seeds = {derive_seed(0, "engine", "questioner_1", step, 0) for step in range(100)}
    assert len(seeds) == 100
    assert all(0 <= s < 2**62 for s in seeds)
    assert derive_seed(1, "x") != derive_seed(2, "x")


def test_resume_point_start_step():
    point = ResumePoint(global_step=12, phase="reasoner_2", phase_step=3)
    assert point.start_step("reasoner_2") == 3
    assert point.start_step("questioner_3") == 0
    assert ResumePoint().start_step("questioner_1") == 0


def make_checkpoint(root, step, phase_end):
    folder = root / "checkpoints" / f"step_{step}"
    folder.mkdir(parents=True)
    state = {"step": step, "recipe_state": {"phase": "p", "phase_end": phase_end}}
    (folder / "state.json").write_text(json.dumps(state))


def test_prune_keeps_phase_ends_and_the_newest(tmp_path):
    for step, end in [(1, False), (2, True), (3, False), (4, False), (5, True), (6, False)]:
        make_checkpoint(tmp_path, step, end)
    prune_checkpoints(tmp_path, keep_last=2)
    left = sorted(int(p.name[5:]) for p in (tmp_path / "checkpoints").iterdir())
    assert left == [2, 5, 6]
    prune_checkpoints(tmp_path, keep_last=1)
    assert sorted(int(p.name[5:]) for p in (tmp_path / "checkpoints").iterdir()) == [2, 5, 6]


def test_forget_phase_records_and_summary(tmp_path):
    log = MetricsLog(tmp_path / "metrics.jsonl")
    rows = [
        {"step": 1, "phase": "questioner_1", "loss": 1.0, "reward": 0.5, "valid": True},
        {"step": 2, "phase": "questioner_1", "loss": 3.0, "reward": 0.0},
        {"step": 2, "phase": "questioner_1", "summary": True, "loss": 2.0},
        {"step": 2, "phase": "label_1", "summary": True, "label/kept": 4.0},
        {"step": 3, "phase": "reasoner_1", "loss": 5.0},
    ]
    for row in rows:
        log.append(row)
    forget_phase_records(log, "reasoner_1", after_step=2)
    assert [r["phase"] for r in log.records()] == ["questioner_1"] * 3 + ["label_1"]
    forget_phase_records(log, "questioner_1", after_step=1)
    assert log.records() == [rows[0], rows[3]]
    log.append(rows[1])
    # means over the phase's step records: loss (1 + 3) / 2, reward (0.5 + 0) / 2; bools skipped
    assert phase_summary(log, "questioner_1") == {"loss": 2.0, "reward": 0.25, "steps": 2.0}
    assert phase_summary(log, "reasoner_1") == {"steps": 0.0}


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


def test_counting_engine_counts_completion_tokens():
    class _Done:
        def __init__(self, n):
            self.num_tokens = n

    class _Engine:
        def generate(self, requests):
            return [[_Done(3), _Done(4)] for _ in requests]

    engine = CountingEngine(_Engine())
    engine.generate(["a", "b"])
    engine.generate([])
    assert engine.tokens == 14
