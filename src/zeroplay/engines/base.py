"""The engine interface: requests in, completions (token ids, logprobs, text) out.

Every engine (the portable `HFEngine`, a vLLM engine on GPU) answers the same call, so callers
never change. A completion carries the request's prepared model inputs and the sampled ids
unchanged into training: nothing is re-tokenized (DESIGN principle 1).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from zeroplay.engines.request import ChatRequest
from zeroplay.models.batching import PreparedPrompt


@dataclass
class Completion:
    """One sampled completion of a request.

    - `token_ids`: the sampled ids exactly as generated, EOS included when produced, nothing
      after it.
    - `logprobs`: log-probability of each sampled token under the distribution it was actually
      drawn from: softmax of (repetition-penalised logits / temperature) after top-k and top-p
      filtering and renormalisation, with EOS masked while `min_new_tokens` is unmet. Greedy
      (temperature 0) samples report the temperature-1 distribution.
    - `policy_logprobs`: log-probability under softmax(logits / temperature) with no filtering
      and no penalty: the distribution the trainer's loss uses, so importance ratios computed
      against it start at exactly 1 on-policy (temperature 1 when greedy).
    - `finish_reason`: "stop" (EOS or a stop string) or "length" (max_new_tokens reached).
    - `prompt`: the request's model inputs; None on a data-parallel rank that received the
      completion from the rank that generated it (`zeroplay.runtime.ShardedEngine`).
    - `trainer_logprobs`: True when the logprobs come from the trainer's own model code (HF
      engine). False for engines with their own kernels (vLLM): their logprobs are the
      behaviour policy's, close to but not equal to the trainer's, so the trainer recomputes its
      own and corrects the gap with truncated importance sampling.
    """

    request: ChatRequest
    prompt: PreparedPrompt | None
    index: int
    token_ids: torch.Tensor
    logprobs: torch.Tensor
    policy_logprobs: torch.Tensor
    text: str
    finish_reason: str
    extra: dict[str, Any] = field(default_factory=dict)
    trainer_logprobs: bool = True

    @property
    def policy(self) -> str:
        return self.request.policy

    @property
    def meta(self) -> dict[str, Any]:
        return self.request.meta

    @property
    def temperature(self) -> float:
        """The temperature training must apply to reproduce `policy_logprobs`."""
        t = self.request.sampling.temperature
        return t if t > 0 else 1.0

    @property
    def num_tokens(self) -> int:
        return int(self.token_ids.shape[0])


class Engine(Protocol):
    """Anything that turns a batch of chat requests into `n` completions each."""

    def generate(self, requests: Sequence[ChatRequest]) -> list[list[Completion]]:
        """Completions for each request, in request order; `len(out[i]) == requests[i].sampling.n`."""
        ...


async def agenerate(engine: Engine, requests: Sequence[ChatRequest]) -> list[list[Completion]]:
    """Async wrapper for engines whose `generate` blocks (runs it in a worker thread)."""
    return await asyncio.to_thread(engine.generate, requests)
