"""Truncated importance sampling for samples drawn by an engine with other numerics (vLLM)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from PIL import Image

from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
from zeroplay.models.loader import ModelSettings
from zeroplay.rl.config import LossSettings, OptimConfig, TrainerConfig
from zeroplay.rl.losses import LossConfig, policy_loss, truncated_is_weights
from zeroplay.rl.policies import Policies
from zeroplay.rl.samples import Sample


def test_weights_are_capped_ratios_and_the_mismatch_is_measured():
    old = torch.tensor([[-1.0, -2.0, -3.0], [-1.0, -1.0, 0.0]])
    behaviour = torch.tensor([[-1.5, -2.0, -1.0], [-1.0 - math.log(5.0), -1.2, 0.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    weights, stats = truncated_is_weights(old, behaviour, mask, cap=2.0)
    expected = torch.tensor([[math.exp(0.5), 1.0, math.exp(-2.0)], [2.0, math.exp(0.2), 1.0]])
    torch.testing.assert_close(weights, expected)
    diffs = [0.5, 0.0, 2.0, math.log(5.0), 0.2]
    assert stats["mismatch/logprob_diff_mean"] == pytest.approx(sum(diffs) / 5, rel=1e-6)
    assert stats["mismatch/logprob_diff_max"] == pytest.approx(2.0)
    assert stats["mismatch/is_capped_frac"] == pytest.approx(1 / 5)


def test_token_weights_scale_the_policy_gradient_term_only():
    logp = torch.tensor([[-1.0, -2.0], [-0.5, -0.7]], requires_grad=True)
    mask = torch.ones(2, 2)
    adv = torch.tensor([1.0, -1.0])
    ref = logp.detach() - 0.3
    cfg = LossConfig(kl_coef=0.5)
    plain, stats = policy_loss(logp, logp.detach(), adv, mask, cfg, ref_logp=ref)
    doubled, wstats = policy_loss(
        logp, logp.detach(), adv, mask, cfg, ref_logp=ref, token_weights=torch.full((2, 2), 2.0)
    )
    assert wstats["pg_loss"] == pytest.approx(2 * stats["pg_loss"])
    assert wstats["kl_mean"] == pytest.approx(stats["kl_mean"])
    kl_part = plain.item() - stats["pg_loss"]
    assert doubled.item() == pytest.approx(2 * stats["pg_loss"] + kl_part)


def _engine_samples(policies: Policies) -> list[Sample]:
    requests = [
        ChatRequest(
            [user_message("Colour?", 1)],
            [Image.new("RGB", (60 + 14 * i, 60), (40 * i, 90, 200))],
            SamplingParams(n=2, temperature=0.9, max_new_tokens=6),
        )
        for i in range(2)
    ]
    samples = []
    for completions in policies.engine(seed=4).generate(requests):
        for j, c in enumerate(completions):
            samples.append(
                Sample(
                    c.prompt,
                    c.token_ids,
                    c.policy_logprobs,
                    c.temperature,
                    0.0,
                    "g",
                    "r",
                    "s",
                    c.policy,
                    advantage=1.0 if j else -1.0,
                )
            )
    return samples


def _trainer(policies: Policies, **changes):
    from accelerate import Accelerator

    from zeroplay.rl.trainer import Trainer

    # A learning rate too small to move the weights: every call sees the same policy.
    cfg = TrainerConfig(optim=OptimConfig(lr=1e-20), loss=LossSettings(), **changes)
    return Trainer(policies, cfg, Accelerator(cpu=True), {"default": 10})


def test_trainer_weights_engine_samples_by_the_capped_ratio():
    policies = Policies.load(ModelSettings(name="tiny", device="cpu"), ["default"], mode="shared")
    trainer = _trainer(policies)
    samples = _engine_samples(policies)
    base = trainer.train("default", samples)
    assert not any(k.startswith("mismatch/") for k in base)  # HF samples: nothing to correct
    # The engine gave every token 4x less probability than the trainer does: weight 4, capped 2.
    shifted = [replace(s, behaviour_logprobs=s.old_logprobs - math.log(4.0)) for s in samples]
    stats = trainer.train("default", shifted)
    assert stats["mismatch/logprob_diff_mean"] == pytest.approx(math.log(4.0), abs=1e-4)
    assert stats["mismatch/logprob_diff_max"] == pytest.approx(math.log(4.0), abs=1e-4)
    assert stats["mismatch/is_capped_frac"] == 1.0
    assert stats["pg_loss"] == pytest.approx(2.0 * base["pg_loss"], rel=1e-4)

    uncorrected = _trainer(policies, tis_cap=None).train("default", shifted)
    assert uncorrected["pg_loss"] == pytest.approx(base["pg_loss"], rel=1e-4)
    assert uncorrected["mismatch/logprob_diff_mean"] == pytest.approx(math.log(4.0), abs=1e-4)


def test_several_passes_use_the_trainers_own_old_logprobs_for_engine_samples():
    """With stored old logprobs needed, an engine's logprobs are not taken as pi_old: the
    trainer scores the rollout itself, so the first pass's ratio is exactly 1."""
    policies = Policies.load(ModelSettings(name="tiny", device="cpu"), ["default"], mode="shared")
    trainer = _trainer(policies, num_iterations=2)
    samples = [
        replace(s, old_logprobs=s.old_logprobs - 1.0, behaviour_logprobs=s.old_logprobs - 1.0)
        for s in _engine_samples(policies)
    ]
    stats = trainer.train("default", samples)
    assert stats["ratio_min"] == pytest.approx(1.0, abs=1e-4)
    assert stats["ratio_max"] == pytest.approx(1.0, abs=1e-4)
    assert stats["mismatch/logprob_diff_mean"] == pytest.approx(1.0, abs=1e-4)
