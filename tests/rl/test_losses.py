"""Policy loss, KL estimators and aggregation modes against hand-computed numbers."""

from __future__ import annotations

import math

import pytest
import torch

from zeroplay.rl.losses import LossConfig, kl_penalty, policy_loss

D = torch.float64


def _t(rows: list[list[float]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=D)


def _logp_with_ratios(ratios: list[list[float]]) -> tuple[torch.Tensor, torch.Tensor]:
    """(logp requiring grad, old_logp) such that exp(logp - old_logp) equals `ratios`."""
    old = torch.full((len(ratios), len(ratios[0])), -1.0, dtype=D)
    logp = (old + torch.log(_t(ratios))).requires_grad_(True)
    return logp, old


def test_two_token_clipped_objective_by_hand() -> None:
    # A = +1. Token 1 ratio 1.5 is clipped to 1.2: loss -1.2, no gradient. Token 2 ratio 0.9:
    # loss -0.9. Token mean: -(1.2 + 0.9) / 2 = -1.05. d/dlogp_2 of -r_2 / 2 = -0.9 / 2.
    logp, old = _logp_with_ratios([[1.5, 0.9]])
    loss, stats = policy_loss(logp, old, _t([[1.0]])[0], torch.ones(1, 2, dtype=D), LossConfig())
    assert loss.item() == pytest.approx(-1.05)
    loss.backward()
    assert logp.grad.flatten().tolist() == pytest.approx([0.0, -0.45])
    assert stats["clip_frac_high"] == pytest.approx(0.5)
    assert stats["clip_frac_low"] == 0.0
    assert (stats["ratio_mean"], stats["ratio_min"], stats["ratio_max"]) == pytest.approx(
        (1.2, 0.9, 1.5)
    )


def test_clip_higher_asymmetric_range() -> None:
    # eps_low 0.2, eps_high 0.3 (VisPlay). A = +1: r 1.25 unclipped (-1.25), r 1.4 -> 1.3.
    # A = -1: r 0.7 -> max(0.7, 0.8) = 0.8 (clipped low), r 1.1 -> 1.1.
    cfg = LossConfig(epsilon_low=0.2, epsilon_high=0.3)
    logp, old = _logp_with_ratios([[1.25, 1.4], [0.7, 1.1]])
    adv = torch.tensor([1.0, -1.0], dtype=D)
    loss, stats = policy_loss(logp, old, adv, torch.ones(2, 2, dtype=D), cfg)
    assert loss.item() == pytest.approx(((-1.25 - 1.3) / 2 + (0.8 + 1.1) / 2) / 2)
    assert stats["clip_frac_high"] == pytest.approx(0.25)
    assert stats["clip_frac_low"] == pytest.approx(0.25)


def test_dual_clip_caps_negative_advantage() -> None:
    # A = -2, r = 5: PPO loss max(2*5, 2*1.2) = 10; dual clip c = 3 caps it at 2*3 = 6 (no grad).
    logp, old = _logp_with_ratios([[5.0]])
    adv, mask = torch.tensor([-2.0], dtype=D), torch.ones(1, 1, dtype=D)
    plain, _ = policy_loss(logp, old, adv, mask, LossConfig())
    assert plain.item() == pytest.approx(10.0)
    loss, stats = policy_loss(logp, old, adv, mask, LossConfig(dual_clip=3.0))
    assert loss.item() == pytest.approx(6.0)
    assert stats["dual_clip_frac"] == 1.0
    loss.backward()
    assert logp.grad.item() == 0.0
    # Positive advantages are never dual-clipped: A = +2, r = 5 -> -2 * 1.2.
    pos, stats = policy_loss(logp, old, -adv, mask, LossConfig(dual_clip=3.0))
    assert pos.item() == pytest.approx(-2.4)
    assert stats["dual_clip_frac"] == 0.0


def test_gspo_uses_geometric_mean_ratio() -> None:
    # Sequence 1: token ratios 1.21 and 1.0 -> s = sqrt(1.21) = 1.1 (inside the clip), A = +1:
    # loss -1.1, d/dlogp_t = -A * s / |y| = -0.55 per token, halved by the mean over 2 sequences.
    # Sequence 2: token ratios 4, 1, 1 (third token masked out, ratio 100 ignored) -> s = 2,
    # clipped to 1.2 with A = +1: loss -1.2, no gradient. Mean over sequences: -1.15.
    logp, old = _logp_with_ratios([[1.21, 1.0, 1.0], [4.0, 1.0, 100.0]])
    mask = _t([[1, 1, 0], [1, 1, 0]])
    adv = torch.tensor([1.0, 1.0], dtype=D)
    loss, stats = policy_loss(logp, old, adv, mask, LossConfig(ratio_level="sequence"))
    assert loss.item() == pytest.approx(-1.15)
    loss.backward()
    assert logp.grad.flatten().tolist() == pytest.approx([-0.275, -0.275, 0, 0, 0, 0])
    assert (stats["ratio_min"], stats["ratio_max"]) == pytest.approx((1.1, 2.0))
    assert stats["clip_frac_high"] == pytest.approx(0.5)


def _aggregation_batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    # On-policy (ratio 1), so each token's loss is -A: sequence 1 has 1 token with A = 1,
    # sequence 2 has 3 tokens with A = -0.5 (loss +0.5 each).
    logp = torch.zeros(2, 3, dtype=D, requires_grad=True)
    mask = _t([[1, 0, 0], [1, 1, 1]])
    return logp, logp.detach(), torch.tensor([1.0, -0.5], dtype=D), mask


@pytest.mark.parametrize(
    ("cfg", "expected"),
    [
        (LossConfig(aggregation="seq_mean_token_mean"), (-1 + 0.5) / 2),
        (LossConfig(aggregation="token_mean"), (-1 + 1.5) / 4),
        (LossConfig(aggregation="seq_sum_const", const_length=4), (-1 + 1.5) / (2 * 4)),
    ],
)
def test_aggregations_by_hand(cfg: LossConfig, expected: float) -> None:
    logp, old, adv, mask = _aggregation_batch()
    loss, stats = policy_loss(logp, old, adv, mask, cfg)
    assert loss.item() == pytest.approx(expected)
    assert stats["pg_loss"] == pytest.approx(expected)
    assert (stats["num_tokens"], stats["num_seqs"]) == (4, 2)


def test_kl_estimators_by_hand() -> None:
    # p = 0.5, p_ref = 0.25: k1 = ln 2; k3 = e^{-ln 2} + ln 2 - 1 = 0.5 + ln 2 - 1.
    logp, ref = torch.tensor([math.log(0.5)], dtype=D), torch.tensor([math.log(0.25)], dtype=D)
    assert kl_penalty(logp, ref, "k1", None).item() == pytest.approx(math.log(2))
    assert kl_penalty(logp, ref, "k3", None).item() == pytest.approx(math.log(2) - 0.5)
    # k3 is 0 at equality and the log-ratio is clamped to -20 before exp: e^-20 + 20 - 1.
    far = torch.tensor([0.0, -30.0], dtype=D)
    k3 = kl_penalty(torch.zeros(2, dtype=D), far, "k3", None)
    assert k3.tolist() == pytest.approx([0.0, math.exp(-20) + 19])
    assert kl_penalty(torch.zeros(2, dtype=D), far, "k3", 10.0).tolist() == pytest.approx([0, 10])
    assert kl_penalty(torch.zeros(1, dtype=D), far[1:], "k1", 10.0).item() == 10.0


def test_kl_and_entropy_terms_enter_the_loss() -> None:
    # One token, on-policy, A = 1: pg = -1. k1 KL = ln 2 with coef 0.1; entropy 2 with coef 0.01.
    logp = torch.tensor([[math.log(0.5)]], dtype=D, requires_grad=True)
    ref = torch.tensor([[math.log(0.25)]], dtype=D)
    cfg = LossConfig(kl_coef=0.1, kl_estimator="k1", entropy_coef=0.01)
    loss, stats = policy_loss(
        logp,
        logp.detach(),
        torch.ones(1, dtype=D),
        torch.ones(1, 1, dtype=D),
        cfg,
        ref_logp=ref,
        entropy=torch.tensor([[2.0]], dtype=D),
    )
    assert loss.item() == pytest.approx(-1 + 0.1 * math.log(2) - 0.01 * 2)
    assert stats["pg_loss"] == pytest.approx(-1.0)
    assert stats["kl_mean"] == pytest.approx(math.log(2))
    assert stats["entropy_mean"] == pytest.approx(2.0)
    # d/dlogp: -A * r (r = 1) + 0.1 * d(logp - ref)/dlogp = -1 + 0.1.
    loss.backward()
    assert logp.grad.item() == pytest.approx(-0.9)


def test_clipping_acts_when_old_logprobs_are_stored() -> None:
    # num_iterations > 1: after an update the stored old logprobs differ, so the ratio moves and
    # clipping stops the gradient of tokens pushed past 1 + eps (the Vision-Zero code never did).
    logp = torch.tensor([[-1.0, -1.0]], dtype=D, requires_grad=True)
    old = torch.tensor([[-1.5, -1.0]], dtype=D)  # token 1 ratio e^0.5 = 1.65 > 1.2
    loss, stats = policy_loss(
        logp, old, torch.ones(1, dtype=D), torch.ones(1, 2, dtype=D), LossConfig()
    )
    loss.backward()
    assert logp.grad.flatten().tolist() == pytest.approx([0.0, -0.5])
    assert stats["ratio_max"] == pytest.approx(math.exp(0.5))


@pytest.mark.parametrize(
    "cfg",
    [
        LossConfig(aggregation="seq_mean_token_mean", kl_coef=0.05),
        LossConfig(aggregation="token_mean", dual_clip=3.0, epsilon_high=0.3),
        LossConfig(aggregation="seq_sum_const", const_length=5, entropy_coef=0.01),
        LossConfig(ratio_level="sequence", kl_coef=0.01),
    ],
)
def test_micro_batches_accumulate_to_the_full_batch(cfg: LossConfig) -> None:
    gen = torch.Generator().manual_seed(0)
    b, t = 6, 5
    logp = (-torch.rand(b, t, generator=gen, dtype=D)).requires_grad_(True)
    old = logp.detach() + 0.3 * torch.randn(b, t, generator=gen, dtype=D)
    ref = logp.detach() + 0.2 * torch.randn(b, t, generator=gen, dtype=D)
    ent = torch.rand(b, t, generator=gen, dtype=D)
    adv = torch.randn(b, generator=gen, dtype=D)
    lengths = torch.tensor([1, 5, 3, 0, 2, 4])
    mask = (torch.arange(t)[None, :] < lengths[:, None]).to(D)
    kw = {"ref_logp": ref, "entropy": ent}

    full, _ = policy_loss(logp, old, adv, mask, cfg, **kw)
    (full_grad,) = torch.autograd.grad(full, logp)

    total_tokens, total_seqs = mask.sum().item(), (mask.sum(1) > 0).sum().item()
    acc = torch.zeros((), dtype=D)
    for part in (slice(0, 2), slice(2, 6)):  # unequal micro-batches
        micro, _ = policy_loss(
            logp[part],
            old[part],
            adv[part],
            mask[part],
            cfg,
            ref_logp=ref[part],
            entropy=ent[part],
            total_tokens=total_tokens,
            total_seqs=total_seqs,
        )
        acc = acc + micro
    (acc_grad,) = torch.autograd.grad(acc, logp)
    assert acc.item() == pytest.approx(full.item(), abs=1e-12)
    assert torch.allclose(acc_grad, full_grad, atol=1e-12)


def test_empty_mask_gives_zero_loss_not_nan() -> None:
    logp = torch.zeros(2, 3, dtype=D, requires_grad=True)
    loss, stats = policy_loss(
        logp, logp.detach(), torch.ones(2, dtype=D), torch.zeros(2, 3, dtype=D), LossConfig()
    )
    assert loss.item() == 0.0
    assert stats["ratio_mean"] == 1.0 and stats["num_tokens"] == 0


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="const_length"):
        LossConfig(aggregation="seq_sum_const")
    with pytest.raises(ValueError, match="const_length is only"):
        LossConfig(const_length=512)
    with pytest.raises(ValueError, match="dual_clip"):
        LossConfig(dual_clip=0.5)
    assert not LossConfig().needs_reference and LossConfig(kl_coef=0.01).needs_reference
    logp = torch.zeros(1, 1)
    with pytest.raises(ValueError, match="ref_logp"):
        policy_loss(logp, logp, torch.ones(1), torch.ones(1, 1), LossConfig(kl_coef=0.1))
