"""GRPO-family policy loss: clipped surrogate (token or sequence ratio), dual clip, KL, entropy.

One function, `policy_loss`, covers GRPO, DAPO, Dr. GRPO and GSPO through a `LossConfig`; the
equations are in the docstrings and in docs/rl_math.md. Inputs are (batch, completion length)
tensors of per-token logprobs with a mask of real completion tokens (EOS included).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

RatioLevel = Literal["token", "sequence"]
Aggregation = Literal["seq_mean_token_mean", "token_mean", "seq_sum_const"]
KlEstimator = Literal["k1", "k3"]

# Log-ratios are clamped before exp so one wild token cannot overflow (veRL clamps to +-20 too).
_LOG_RATIO_CLAMP = 20.0


@dataclass(frozen=True)
class LossConfig:
    """Knobs of the policy loss (defaults: GRPO with a symmetric 0.2 clip and no KL).

    `epsilon_low`/`epsilon_high`: clip range [1 - eps_low, 1 + eps_high] (clip-higher when
    high > low; VisPlay/MM-Zero use 0.2/0.3). `dual_clip`: c > 1 caps the loss of a negative
    advantage at c*|A| (VisPlay/MM-Zero: 3.0). `ratio_level="sequence"` is GSPO.
    `aggregation`: "seq_mean_token_mean" (GRPO), "token_mean" (DAPO), "seq_sum_const"
    (Dr. GRPO, needs `const_length`). `kl_coef` > 0 needs reference logprobs; `kl_estimator`
    "k1" or "k3" (veRL's low_var_kl); `kl_clamp` bounds the per-token KL to [-c, c] (veRL uses
    10 for low_var_kl; we apply it to k1 as well), None for no bound. `entropy_coef` > 0 adds
    an entropy bonus.
    """

    epsilon_low: float = 0.2
    epsilon_high: float = 0.2
    dual_clip: float | None = None
    ratio_level: RatioLevel = "token"
    aggregation: Aggregation = "seq_mean_token_mean"
    const_length: int | None = None
    kl_coef: float = 0.0
    kl_estimator: KlEstimator = "k3"
    kl_clamp: float | None = 10.0
    entropy_coef: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.epsilon_low < 1.0:
            raise ValueError(f"epsilon_low must be in [0, 1), got {self.epsilon_low}")
        if not self.epsilon_high >= 0.0:
            raise ValueError(f"epsilon_high must be >= 0, got {self.epsilon_high}")
        if self.dual_clip is not None and not self.dual_clip > 1.0:
            raise ValueError(
                f"dual_clip must be > 1 (3.0 in VisPlay/MM-Zero), got {self.dual_clip}"
            )
        if self.ratio_level not in ("token", "sequence"):
            raise ValueError(f"ratio_level must be 'token' or 'sequence', got {self.ratio_level!r}")
        if self.aggregation not in ("seq_mean_token_mean", "token_mean", "seq_sum_const"):
            raise ValueError(f"unknown aggregation {self.aggregation!r}")
        if self.aggregation == "seq_sum_const":
            if self.const_length is None or self.const_length < 1:
                raise ValueError("aggregation 'seq_sum_const' needs const_length >= 1")
        elif self.const_length is not None:
            raise ValueError("const_length is only used by aggregation 'seq_sum_const'")
        if not self.kl_coef >= 0.0:
            raise ValueError(f"kl_coef must be >= 0, got {self.kl_coef}")
        if self.kl_estimator not in ("k1", "k3"):
            raise ValueError(f"kl_estimator must be 'k1' or 'k3', got {self.kl_estimator!r}")
        if self.kl_clamp is not None and not self.kl_clamp > 0.0:
            raise ValueError(f"kl_clamp must be > 0 or None, got {self.kl_clamp}")
        if not self.entropy_coef >= 0.0:
            raise ValueError(f"entropy_coef must be >= 0, got {self.entropy_coef}")

    @property
    def needs_reference(self) -> bool:
        """True when the loss uses reference-policy logprobs (with kl_coef 0 none is loaded)."""
        return self.kl_coef > 0.0


def kl_penalty(
    logp: Tensor, ref_logp: Tensor, estimator: KlEstimator = "k3", clamp: float | None = 10.0
) -> Tensor:
    """Per-token estimate of KL(pi || pi_ref) from samples of pi.

    k1: `logp - ref_logp` (unbiased, high variance, can be negative).
    k3: `exp(ref_logp - logp) - (ref_logp - logp) - 1` (Schulman's low-variance estimator,
    veRL's "low_var_kl"; >= 0), with the log-ratio clamped to +-20 before exp as veRL does.
    The result is clamped to [-clamp, clamp] unless `clamp` is None.
    """
    if estimator == "k1":
        kl = logp - ref_logp
    elif estimator == "k3":
        log_ratio = (ref_logp - logp).clamp(-_LOG_RATIO_CLAMP, _LOG_RATIO_CLAMP)
        kl = torch.exp(log_ratio) - log_ratio - 1.0
    else:
        raise ValueError(f"kl estimator must be 'k1' or 'k3', got {estimator!r}")
    if clamp is not None:
        kl = kl.clamp(-clamp, clamp)
    return kl


def _aggregate(
    per_token: Tensor,
    mask: Tensor,
    cfg: LossConfig,
    total_tokens: float | None,
    total_seqs: float | None,
) -> Tensor:
    """Reduce a (B, T) per-token loss to a scalar by `cfg.aggregation` (see `policy_loss`)."""
    masked = per_token * mask
    seq_tokens = mask.sum(dim=1)
    if cfg.aggregation == "token_mean":
        denom = float(total_tokens) if total_tokens is not None else seq_tokens.sum().item()
        return masked.sum() / max(denom, 1.0)
    n_seqs = float(total_seqs) if total_seqs is not None else (seq_tokens > 0).sum().item()
    if cfg.aggregation == "seq_mean_token_mean":
        per_seq = masked.sum(dim=1) / seq_tokens.clamp(min=1.0)
        return per_seq.sum() / max(n_seqs, 1.0)
    assert cfg.const_length is not None
    return masked.sum() / (max(n_seqs, 1.0) * cfg.const_length)


def _masked_mean(values: Tensor, mask: Tensor) -> float:
    count = mask.sum().item()
    return (values * mask).sum().item() / count if count > 0 else 0.0


def truncated_is_weights(
    old_logp: Tensor, behaviour_logp: Tensor, mask: Tensor, cap: float
) -> tuple[Tensor, dict[str, float]]:
    """Truncated importance-sampling weights for tokens sampled by another engine's numerics.

    An engine such as vLLM samples from its own kernels, not the trainer's, so the trainer's
    old policy pi_old (its own logprobs for the rollout weights) and the behaviour policy mu
    (the engine's logprobs) differ. Per token: w = min(exp(old_logp - behaviour_logp), cap)
    (Yao et al.'s TIS, as TRL applies it); the policy-gradient term is multiplied by w.
    Stats over the mask: |old_logp - behaviour_logp| mean and max, the weights' mean and the
    fraction of tokens at the cap.
    """
    if old_logp.shape != behaviour_logp.shape or old_logp.shape != mask.shape:
        raise ValueError("old_logp, behaviour_logp and mask must have one shape")
    if not cap > 0:
        raise ValueError(f"the importance-sampling cap must be > 0, got {cap}")
    mask = mask.to(old_logp.dtype)
    diff = (old_logp - behaviour_logp).detach()
    weights = torch.exp(diff.clamp(-_LOG_RATIO_CLAMP, _LOG_RATIO_CLAMP)).clamp(max=cap)
    present = mask > 0
    abs_diff = diff.abs()
    stats = {
        "mismatch/logprob_diff_mean": _masked_mean(abs_diff, mask),
        "mismatch/logprob_diff_max": abs_diff[present].max().item() if present.any() else 0.0,
        "mismatch/is_weight_mean": _masked_mean(weights, mask) if present.any() else 1.0,
        "mismatch/is_capped_frac": _masked_mean((weights >= cap).to(mask.dtype), mask),
    }
    return weights, stats


def policy_loss(
    logp: Tensor,
    old_logp: Tensor,
    advantages: Tensor,
    mask: Tensor,
    cfg: LossConfig,
    *,
    ref_logp: Tensor | None = None,
    entropy: Tensor | None = None,
    total_tokens: float | None = None,
    total_seqs: float | None = None,
    token_weights: Tensor | None = None,
) -> tuple[Tensor, dict[str, float]]:
    """Clipped policy-gradient loss of one (micro-)batch and its statistics.

    Per token t of sequence i, with r the importance ratio and A_i the sequence's advantage:
        token ratio (PPO/GRPO):   r_it = exp(logp_it - old_logp_it)
        sequence ratio (GSPO):    r_i  = exp(mean_t (logp_it - old_logp_it)), the geometric
                                  mean of the token ratios, shared by the sequence's tokens
        pg_it = max(-A_i r, -A_i clip(r, 1 - eps_low, 1 + eps_high))
        dual clip (A_i < 0):      pg_it = min(pg_it, -A_i c)
        l_it  = pg_it + kl_coef * KL_it - entropy_coef * H_it
    Aggregation of l over the mask m (|y_i| = tokens of sequence i):
        seq_mean_token_mean: sum_i (sum_t m l / |y_i|) / total_seqs        (GRPO)
        token_mean:          sum_it m l / total_tokens                      (DAPO)
        seq_sum_const:       sum_it m l / (total_seqs * const_length)       (Dr. GRPO)
    `total_tokens`/`total_seqs` default to this batch's counts (sequences with at least one
    token). When the trainer splits an optimizer step into micro-batches it passes the whole
    step's counts, so the summed micro-batch losses (and gradients) equal the one-batch loss.

    `old_logp` are the logprobs of the policy that sampled (stored at rollout time, or the
    pre-update pass when `num_iterations > 1`); on-policy, pass `logp.detach()` and the ratio
    is exactly 1. `token_weights` (e.g. `truncated_is_weights`) multiply pg_it before the KL and
    entropy terms are added. Stats: ratio mean/min/max over tokens (over sequences for GSPO), clip
    fractions (low: A < 0 and r < 1 - eps_low; high: A > 0 and r > 1 + eps_high; dual: A < 0 and
    r > c), kl_mean and entropy_mean over tokens, pg_loss (same normaliser as the loss, so
    micro-batch values add up), loss, num_tokens, num_seqs.
    """
    if logp.dim() != 2:
        raise ValueError(f"logp must be (batch, length), got shape {tuple(logp.shape)}")
    for name, t in (("old_logp", old_logp), ("mask", mask)):
        if t.shape != logp.shape:
            raise ValueError(f"{name} has shape {tuple(t.shape)}, logp {tuple(logp.shape)}")
    if advantages.shape != (logp.shape[0],):
        raise ValueError(f"advantages must be ({logp.shape[0]},), got {tuple(advantages.shape)}")
    if cfg.kl_coef > 0.0 and ref_logp is None:
        raise ValueError("kl_coef > 0 needs ref_logp")
    if cfg.entropy_coef > 0.0 and entropy is None:
        raise ValueError("entropy_coef > 0 needs entropy")
    if token_weights is not None and token_weights.shape != logp.shape:
        raise ValueError(f"token_weights has shape {tuple(token_weights.shape)}")

    mask = mask.to(logp.dtype)
    adv = advantages.to(logp.dtype).unsqueeze(1)
    log_ratio = logp - old_logp.detach()
    seq_tokens = mask.sum(dim=1)
    if cfg.ratio_level == "sequence":
        seq_log_ratio = (log_ratio * mask).sum(dim=1) / seq_tokens.clamp(min=1.0)
        log_ratio = seq_log_ratio.unsqueeze(1).expand_as(logp)
    ratio = torch.exp(log_ratio.clamp(-_LOG_RATIO_CLAMP, _LOG_RATIO_CLAMP))

    clipped_ratio = ratio.clamp(1.0 - cfg.epsilon_low, 1.0 + cfg.epsilon_high)
    pg = torch.maximum(-adv * ratio, -adv * clipped_ratio)
    if cfg.dual_clip is not None:
        pg = torch.where(adv < 0, torch.minimum(pg, -adv * cfg.dual_clip), pg)

    if token_weights is not None:
        pg = pg * token_weights.detach().to(pg.dtype)
    per_token = pg
    kl = None
    if ref_logp is not None:
        kl = kl_penalty(logp, ref_logp.detach(), cfg.kl_estimator, cfg.kl_clamp)
        if cfg.kl_coef > 0.0:
            per_token = per_token + cfg.kl_coef * kl
    if entropy is not None and cfg.entropy_coef > 0.0:
        per_token = per_token - cfg.entropy_coef * entropy
    loss = _aggregate(per_token, mask, cfg, total_tokens, total_seqs)

    with torch.no_grad():
        # Ratio statistics count each ratio once: per token, or per sequence under GSPO.
        if cfg.ratio_level == "sequence":
            unit_mask = (seq_tokens > 0).to(logp.dtype).unsqueeze(1)
            unit_ratio, unit_adv = ratio[:, :1], adv
        else:
            unit_mask, unit_ratio, unit_adv = mask, ratio, adv.expand_as(ratio)
        present = unit_mask > 0
        low = (unit_adv < 0) & (unit_ratio < 1.0 - cfg.epsilon_low)
        high = (unit_adv > 0) & (unit_ratio > 1.0 + cfg.epsilon_high)
        stats: dict[str, float] = {
            "loss": loss.item(),
            "pg_loss": _aggregate(pg, mask, cfg, total_tokens, total_seqs).item(),
            "ratio_mean": _masked_mean(unit_ratio, unit_mask) if present.any() else 1.0,
            "ratio_min": unit_ratio[present].min().item() if present.any() else 1.0,
            "ratio_max": unit_ratio[present].max().item() if present.any() else 1.0,
            "clip_frac_low": _masked_mean(low.to(logp.dtype), unit_mask),
            "clip_frac_high": _masked_mean(high.to(logp.dtype), unit_mask),
            "num_tokens": seq_tokens.sum().item(),
            "num_seqs": (seq_tokens > 0).sum().item(),
        }
        if cfg.dual_clip is not None:
            dual = (unit_adv < 0) & (unit_ratio > cfg.dual_clip)
            stats["dual_clip_frac"] = _masked_mean(dual.to(logp.dtype), unit_mask)
        if kl is not None:
            stats["kl_mean"] = _masked_mean(kl, mask)
        if entropy is not None:
            stats["entropy_mean"] = _masked_mean(entropy, mask)
    return loss, stats
