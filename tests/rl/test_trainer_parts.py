"""Collation, micro-batching, schedules, LoRA policies and the trainer's off-policy path."""

from __future__ import annotations

import math

import pytest
import torch
from PIL import Image

from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
from zeroplay.models.loader import LoraSettings, ModelSettings
from zeroplay.rl.collate import collate_samples, micro_batches
from zeroplay.rl.config import LossSettings, OptimConfig, TrainerConfig
from zeroplay.rl.metrics import sample_metrics
from zeroplay.rl.optim import lr_factor
from zeroplay.rl.policies import Policies
from zeroplay.rl.samples import Sample
from zeroplay.rl.scorer import CompletionScorer


def _samples(engine, n=3, max_new=6, policy="default"):
    reqs = [
        ChatRequest(
            [user_message("Colour?", 1)],
            [Image.new("RGB", (60 + 14 * i, 60), (40 * i, 90, 200))],
            SamplingParams(n=n, temperature=0.9, max_new_tokens=max_new),
            policy=policy,
        )
        for i in range(3)
    ]
    out = []
    for gi, group in enumerate(engine.generate(reqs)):
        for c in group:
            s = Sample(
                c.prompt,
                c.token_ids,
                c.policy_logprobs,
                c.temperature,
                float(gi),
                f"g{gi}",
                "player",
                "answer",
                c.policy,
            )
            out.append(s)
    return out


def test_lr_schedules():
    const = OptimConfig(lr=1.0, schedule="constant", warmup_ratio=0.2)
    assert [lr_factor(s, 10, const) for s in range(3)] == [0.5, 1.0, 1.0]
    cos = OptimConfig(lr=1.0, schedule="cosine", warmup_ratio=0.1, min_lr_ratio=0.0)
    assert lr_factor(0, 10, cos) == 1.0  # one warmup step
    assert lr_factor(1, 10, cos) == pytest.approx(1.0)
    assert lr_factor(10, 10, cos) == pytest.approx(0.0)
    assert lr_factor(5, 10, cos) == pytest.approx(0.5 * (1 + math.cos(math.pi * 4 / 9)))


def test_micro_batches_respect_budget_and_keep_everything(tiny_qwen):
    policies = Policies.load(ModelSettings(name="tiny", device="cpu"), ["default"], mode="shared")
    samples = _samples(policies.engine(seed=3))
    budget = 2 * max(s.num_tokens for s in samples)
    chunks = list(micro_batches(samples, budget))
    assert sorted(id(s) for c in chunks for s in c) == sorted(id(s) for s in samples)
    for c in chunks:
        assert max(s.num_tokens for s in c) * len(c) <= budget or len(c) == 1


def test_scorer_matches_sampling_logprobs_across_micro_batches():
    policies = Policies.load(ModelSettings(name="tiny", device="cpu"), ["default"], mode="shared")
    samples = _samples(policies.engine(seed=5))
    scorer = CompletionScorer(policies.model("default"), chunk_size=7)
    for chunk in micro_batches(samples, 300):
        batch = collate_samples(chunk, policies.pad_id, "cpu")
        with torch.no_grad():
            logp, _ = scorer(batch)
        expected = torch.cat([s.old_logprobs for s in chunk])
        torch.testing.assert_close(logp, expected, atol=1e-4, rtol=0)


def test_lora_roles_train_only_their_adapter_and_reference_is_base():
    from accelerate import Accelerator

    policies = Policies.load(
        ModelSettings(name="tiny", device="cpu"),
        ["questioner", "reasoner"],
        mode="lora",
        lora=LoraSettings(r=4, alpha=8),
    )
    cfg = TrainerConfig(optim=OptimConfig(lr=5e-2), loss=LossSettings(kl_coef=0.1))
    from zeroplay.rl.trainer import Trainer

    trainer = Trainer(policies, cfg, Accelerator(cpu=True), {"questioner": 2, "reasoner": 2})
    engine = policies.engine(seed=1)
    model = policies.model("questioner")
    before = {n: p.detach().clone() for n, p in model.named_parameters() if "lora_B" in n}
    samples = _samples(engine, policy="questioner")
    for s in samples:
        s.advantage = 1.0 if s.group == "g0" else -0.5
    stats = trainer.train("questioner", samples)
    assert "kl_mean" in stats and stats["optimizer_steps"] == 1
    after = {n: p.detach() for n, p in model.named_parameters() if "lora_B" in n}
    changed = {n for n in before if not torch.equal(before[n], after[n])}
    assert changed and all(".questioner." in n for n in changed)
    assert not any(".reasoner." in n for n in changed)
    # the reference is the base with adapters disabled: the trained adapter does not move it
    batch = collate_samples(samples[:2], policies.pad_id, "cpu")
    with policies.reference("questioner") as ref, torch.no_grad():
        ref_logp, _ = CompletionScorer(ref)(batch)
    torch.testing.assert_close(
        ref_logp, torch.cat([s.old_logprobs for s in samples[:2]]), atol=1e-4, rtol=0
    )


def test_several_passes_use_stored_old_logprobs_so_clipping_acts():
    from accelerate import Accelerator

    from zeroplay.rl.trainer import Trainer

    policies = Policies.load(ModelSettings(name="tiny", device="cpu"), ["default"], mode="shared")
    cfg = TrainerConfig(
        optim=OptimConfig(lr=5e-2, max_grad_norm=None),
        num_iterations=4,
        loss=LossSettings(epsilon_low=0.05, epsilon_high=0.05),
    )
    trainer = Trainer(policies, cfg, Accelerator(cpu=True), {"default": 1})
    samples = _samples(policies.engine(seed=2), n=4)
    for i, s in enumerate(samples):
        s.advantage = 1.0 if i % 2 else -1.0
    stats = trainer.train("default", samples)
    assert stats["optimizer_steps"] == 4
    assert stats["ratio_max"] > 1.0 + 1e-3 or stats["ratio_min"] < 1.0 - 1e-3
    assert stats["clip_frac_low"] + stats["clip_frac_high"] > 0.0


def test_sample_metrics_by_role_and_stage():
    ids = torch.tensor([1, 2, 3])
    prompt_stub = type("P", (), {"length": 5})()
    a = Sample(prompt_stub, ids, torch.zeros(3), 1.0, 1.0, "g", "spy", "clue", "p")
    b = Sample(
        prompt_stub,
        ids[:1],
        torch.zeros(1),
        1.0,
        0.0,
        "g",
        "civilian",
        "clue",
        "p",
        finish_reason="length",
    )
    a.advantage, b.advantage = 0.5, -0.5
    m = sample_metrics([a, b])
    assert m["role/spy/reward_mean"] == 1.0 and m["role/civilian/completion_len"] == 1.0
    assert m["stage/clue/advantage_mean"] == 0.0 and m["truncated_frac"] == 0.5
