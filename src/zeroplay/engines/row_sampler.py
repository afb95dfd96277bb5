"""Batched sampling with per-row settings and seeds, exact logprobs, one host sync per step.

`BatchSampler.step` takes the next-token logits of every row of a decode batch and applies each
row's own settings (repetition penalty, min_new_tokens, temperature, top-k, top-p; multimodal
placeholder tokens suppressed) as whole-batch tensor ops with per-row parameter tensors, then
draws every row's token by inverse-CDF sampling with one uniform number from the row's own
seeded `random.Random` (no tensor op per row). A row's draws therefore depend only on its seed and its own step
count, so a seeded request gives the same samples whatever else is in the batch; and nothing of
size (steps, batch, vocab) is kept. `RowState.check_stop` ends rows at their own
`max_new_tokens` or stop strings (EOS ends them inside `step`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from zeroplay.engines.request import SamplingParams


@dataclass
class RowState:
    """Bookkeeping for one generated row."""

    params: SamplingParams
    generator: random.Random  # this row's own stream of uniforms
    tokens: list[int]
    logprobs: list[float]
    policy_logprobs: list[float]
    finish_reason: str | None = None

    def check_stop(self, decode: Callable[[Sequence[int]], str], max_stop_tokens: int) -> None:
        """Finish the row at one of its stop strings or at its token limit."""
        if self.finish_reason is None and self.params.stop:
            tail = decode(self.tokens[-max_stop_tokens:])
            if any(s in tail for s in self.params.stop):
                self.finish_reason = "stop"
        if self.finish_reason is None and len(self.tokens) >= self.params.max_new_tokens:
            self.finish_reason = "length"


def filter_logits(scores: torch.Tensor, top_k: torch.Tensor, top_p: torch.Tensor) -> torch.Tensor:
    """Per-row top-k then top-p filtering of (B, V) scores: -inf outside each row's kept set.

    `top_k[b] == 0` (or >= V) and `top_p[b] == 1` disable the filters for row b. Top-p keeps the
    smallest prefix of the sorted distribution whose mass reaches top_p: a token is dropped when
    the mass *before* it already reaches top_p (the most likely token is always kept).
    """
    vocab = scores.shape[-1]
    use_k = (top_k > 0) & (top_k < vocab)
    use_p = top_p < 1.0
    if not bool(use_k.any() or use_p.any()):
        return scores
    # One stable sort serves both filters: masking the tail of a sorted row keeps it sorted.
    sorted_scores, order = torch.sort(scores, dim=-1, descending=True, stable=True)
    kth = sorted_scores.gather(1, (top_k.clamp(1, vocab) - 1)[:, None])
    drop_k = use_k[:, None] & (sorted_scores < kth)
    sorted_scores = sorted_scores.masked_fill(drop_k, float("-inf"))
    probs = torch.softmax(sorted_scores, dim=-1)
    before = torch.cumsum(probs, dim=-1) - probs
    drop_sorted = drop_k | (use_p[:, None] & (before >= top_p[:, None]))
    drop = torch.zeros_like(drop_sorted).scatter(1, order, drop_sorted)
    return scores.masked_fill(drop, float("-inf"))


def filter_top_k_top_p(scores: torch.Tensor, top_k: int, top_p: float) -> torch.Tensor:
    """`filter_logits` for one 1-D row of scores with scalar settings."""
    k = torch.tensor([top_k], device=scores.device)
    p = torch.tensor([top_p], device=scores.device, dtype=scores.dtype)
    return filter_logits(scores[None], k, p)[0]


def apply_repetition_penalty(
    scores: torch.Tensor, seen: torch.Tensor, penalty: torch.Tensor
) -> torch.Tensor:
    """CTRL-style penalty on tokens already seen: negative logits times p, positive ones over p."""
    penalised = torch.where(scores < 0, scores * penalty[:, None], scores / penalty[:, None])
    return torch.where(seen, penalised, scores)


def inverse_cdf_sample(probs: torch.Tensor, uniforms: torch.Tensor) -> torch.Tensor:
    """Index of each row's token under `probs` (B, V) for uniforms in [0, 1) (one per row).

    Picks the first index whose cumulative mass exceeds u * total. That entry has positive
    probability (zeros leave the running sum unchanged), and u * total stays below the total
    because a float64 product with u <= 1 - 2**-53 never rounds up to its other factor.
    """
    cdf = torch.cumsum(probs.double(), dim=-1)
    target = uniforms.double()[:, None] * cdf[:, -1:]
    return torch.searchsorted(cdf, target, right=True)[:, 0]


class BatchSampler:
    """Samples every row of a decode batch at once (see the module docstring)."""

    def __init__(
        self,
        rows: Sequence[RowState],
        eos_ids: Sequence[int],
        suppressed_ids: Sequence[int] = (),
        *,
        prompt_ids: torch.Tensor,
        prompt_mask: torch.Tensor,
        vocab_size: int,
    ):
        self.rows = list(rows)
        device = prompt_ids.device
        params = [r.params for r in self.rows]
        self.eos_ids = list(eos_ids)
        self.greedy = torch.tensor([p.temperature == 0 for p in params], device=device)
        self.temperature = torch.tensor(
            [p.temperature if p.temperature > 0 else 1.0 for p in params], device=device
        )[:, None]
        self.top_k = torch.tensor([p.top_k for p in params], dtype=torch.long, device=device)
        self.top_p = torch.tensor([p.top_p for p in params], device=device)
        self.min_new = torch.tensor([p.min_new_tokens for p in params], device=device)[:, None]
        self.penalty = torch.tensor([p.repetition_penalty for p in params], device=device)
        # (V,) masks of the ids blocked always (multimodal placeholders such as <|image_pad|>: a
        # completion holding one would no longer match its image features when it is scored
        # for training) and of the EOS ids (blocked while a row's min_new_tokens is unmet).
        self.suppressed = torch.zeros(vocab_size, dtype=torch.bool, device=device)
        self.suppressed[list(suppressed_ids)] = True
        self.eos = torch.zeros(vocab_size, dtype=torch.bool, device=device)
        self.eos[self.eos_ids] = True
        self.any_suppressed = bool(list(suppressed_ids))
        self.seen: torch.Tensor | None = None
        if any(p.repetition_penalty != 1.0 for p in params):
            # Tokens already in each row (prompt and completion so far), padding excluded.
            counts = torch.zeros(len(self.rows), vocab_size, device=device)
            counts.scatter_add_(1, prompt_ids, prompt_mask.to(counts.dtype))
            self.seen = counts > 0
        self._batch_flags()

    def _batch_flags(self) -> None:
        """Whole-batch shortcuts from the rows' settings (recomputed when rows are dropped)."""
        params = [r.params for r in self.rows]
        self.any_greedy = any(p.temperature == 0 for p in params)
        self.all_greedy = all(p.temperature == 0 for p in params)
        self.longest_min_new = max(p.min_new_tokens for p in params)

    def keep(self, index: torch.Tensor) -> None:
        """Go on with the rows at `index` only (the decode dropped the others: they finished)."""
        kept = index.tolist()
        self.rows = [self.rows[i] for i in kept]
        for name in ("greedy", "temperature", "top_k", "top_p", "min_new", "penalty"):
            setattr(self, name, getattr(self, name).index_select(0, index))
        if self.seen is not None:
            self.seen = self.seen.index_select(0, index)
        self._batch_flags()

    def log_probs(self, logits: torch.Tensor, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(sampling log-distribution, policy log-distribution), both (B, V), at decode `step`.

        The sampling one applies each row's penalty, blocks, temperature and filters; the policy
        one is softmax(logits / temperature) with nothing else (see `Completion`).
        """
        scores = logits.float()
        scaled = scores / self.temperature
        policy_lp = torch.log_softmax(scaled, dim=-1)
        if self.seen is not None:
            # the penalty acts on raw logits, before the temperature
            scaled = apply_repetition_penalty(scores, self.seen, self.penalty) / self.temperature
        blocked = self.suppressed[None] if self.any_suppressed else None
        if step < self.longest_min_new:
            eos_blocked = self.eos[None] & (step < self.min_new)
            blocked = eos_blocked if blocked is None else blocked | eos_blocked
        if blocked is not None:
            scaled = scaled.masked_fill(blocked, float("-inf"))
        scaled = filter_logits(scaled, self.top_k, self.top_p)
        return torch.log_softmax(scaled, dim=-1), policy_lp

    def step(self, logits: torch.Tensor, step: int) -> torch.Tensor:
        """Sample one token per row from (B, V) logits; records it and returns the ids (B,)."""
        sample_lp, policy_lp = self.log_probs(logits, step)
        tokens = torch.argmax(sample_lp, dim=-1)
        if not self.all_greedy:
            # Only live sampling rows draw, so a row's k-th draw always serves its k-th token.
            uniforms = [
                row.generator.random()
                if row.finish_reason is None and row.params.temperature > 0
                else 0.0
                for row in self.rows
            ]
            drawn = inverse_cdf_sample(
                sample_lp.exp(), torch.tensor(uniforms, dtype=torch.float64, device=tokens.device)
            )
            tokens = torch.where(self.greedy, tokens, drawn) if self.any_greedy else drawn
        if self.seen is not None:
            self.seen[torch.arange(len(self.rows), device=tokens.device), tokens] = True
        picked = torch.stack(
            [
                tokens.double(),
                sample_lp.gather(1, tokens[:, None])[:, 0].double(),
                policy_lp.gather(1, tokens[:, None])[:, 0].double(),
            ]
        ).cpu()  # the one host sync of the step
        for i, (token, lp, plp) in enumerate(picked.T.tolist()):
            row = self.rows[i]
            if row.finish_reason is not None:
                continue
            row.tokens.append(int(token))
            row.logprobs.append(lp)
            row.policy_logprobs.append(plp)
            if int(token) in self.eos_ids:
                row.finish_reason = "stop"
        return tokens
