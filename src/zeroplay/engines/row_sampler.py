"""Per-row sampling inside `transformers` generate, with exact logprobs and per-row seeds.

`RowSampler` is installed as the last logits processor of a *greedy* `generate` call. At each
step it applies every row's own sampling settings (repetition penalty, min_new_tokens, temperature,
top-k, top-p; multimodal placeholder tokens suppressed), draws the row's token from its own seeded `torch.Generator`, records the token's
logprobs, and returns scores that are -inf everywhere except the chosen token, so greedy
decoding emits exactly that token. Because each row owns its generator, a seeded request gives
the same samples whatever else is in the batch; and nothing of size (steps, batch, vocab) is kept.
`RowStopper` ends rows at their own `max_new_tokens`, EOS or stop strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from zeroplay.engines.request import SamplingParams


@dataclass
class RowState:
    """Bookkeeping for one generated row."""

    params: SamplingParams
    generator: torch.Generator | None
    tokens: list[int]
    logprobs: list[float]
    policy_logprobs: list[float]
    finish_reason: str | None = None


def filter_top_k_top_p(scores: torch.Tensor, top_k: int, top_p: float) -> torch.Tensor:
    """Set to -inf the logits outside the top-k and outside the top-p nucleus (one row, 1-D)."""
    if top_k > 0 and top_k < scores.shape[-1]:
        kth = torch.topk(scores, top_k).values[-1]
        scores = scores.masked_fill(scores < kth, float("-inf"))
    if top_p < 1.0:
        sorted_scores, order = torch.sort(scores, descending=True)
        probs = torch.softmax(sorted_scores, dim=-1)
        # Keep the smallest prefix whose mass reaches top_p: drop a token when the mass *before*
        # it already reaches top_p (the first token is always kept).
        before = torch.cumsum(probs, dim=-1) - probs
        drop_sorted = before >= top_p
        drop = torch.zeros_like(drop_sorted).scatter(0, order, drop_sorted)
        scores = scores.masked_fill(drop, float("-inf"))
    return scores


class RowSampler:
    """Logits processor that samples each row itself (see module docstring)."""

    def __init__(
        self,
        rows: Sequence[RowState],
        prompt_width: int,
        eos_ids: Sequence[int],
        suppressed_ids: Sequence[int] = (),
    ):
        self.rows = list(rows)
        self.prompt_width = prompt_width
        self.eos_ids = list(eos_ids)
        # Multimodal placeholder ids (e.g. <|image_pad|>) are never sampled: a completion holding
        # one would no longer match its image features when it is scored for training.
        self.suppressed_ids = list(suppressed_ids)

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        step = input_ids.shape[1] - self.prompt_width
        scores = scores.float()
        forced = torch.full_like(scores, float("-inf"))
        for i, row in enumerate(self.rows):
            if row.finish_reason is not None:
                forced[i, 0] = 0.0  # finished rows are padded by generate; any token will do
                continue
            token, lp, plp = self._sample_row(row, scores[i], input_ids[i], step)
            row.tokens.append(token)
            row.logprobs.append(lp)
            row.policy_logprobs.append(plp)
            if token in self.eos_ids:
                row.finish_reason = "stop"
            forced[i, token] = 0.0
        return forced

    def _sample_row(
        self, row: RowState, logits: torch.Tensor, seen: torch.Tensor, step: int
    ) -> tuple[int, float, float]:
        p = row.params
        temperature = p.temperature if p.temperature > 0 else 1.0
        policy_lp = torch.log_softmax(logits / temperature, dim=-1)
        scores = logits
        if p.repetition_penalty != 1.0:
            prev = scores.gather(0, seen)
            penalised = torch.where(
                prev < 0, prev * p.repetition_penalty, prev / p.repetition_penalty
            )
            scores = scores.scatter(0, seen, penalised)
        blocked = list(self.suppressed_ids)
        if step < p.min_new_tokens:
            blocked += self.eos_ids
        if blocked:
            scores = scores.clone()
            scores[blocked] = float("-inf")
        scores = filter_top_k_top_p(scores / temperature, p.top_k, p.top_p)
        sample_lp = torch.log_softmax(scores, dim=-1)
        if p.temperature == 0:
            token = int(torch.argmax(sample_lp))
        else:
            token = int(torch.multinomial(sample_lp.exp(), 1, generator=row.generator))
        return token, float(sample_lp[token]), float(policy_lp[token])


class RowStopper:
    """Stopping criterion: a row ends at EOS, at one of its stop strings, or at its token limit."""

    def __init__(self, rows: Sequence[RowState], decode, max_stop_tokens: int = 16):
        self.rows = list(rows)
        self.decode = decode
        self.max_stop_tokens = max_stop_tokens

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs) -> torch.Tensor:
        done = torch.zeros(len(self.rows), dtype=torch.bool, device=input_ids.device)
        for i, row in enumerate(self.rows):
            if row.finish_reason is None and row.params.stop:
                tail = self.decode(row.tokens[-self.max_stop_tokens :])
                if any(s in tail for s in row.params.stop):
                    row.finish_reason = "stop"
            if row.finish_reason is None and len(row.tokens) >= row.params.max_new_tokens:
                row.finish_reason = "length"
            done[i] = row.finish_reason is not None
        return done
