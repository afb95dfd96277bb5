"""A trainable sample: one generated turn with its carried model inputs and its labels.

A sample is self-contained: the prompt's prepared inputs (ids and image tensors made once at
rollout time), the sampled completion ids, the logprobs they were sampled with, a loss mask, the
reward and advantage, and labels that let recipes pick estimators and log by role and stage.
`behaviour_logprobs` is set only when the sampling engine's numerics are not the trainer's
(vLLM): the trainer then corrects the gap (`zeroplay.rl.losses.truncated_is_weights`).
A sample of another data-parallel rank's completion has no `prompt`: it counts in the batch
(advantages, metrics, mini-batch cuts) but only the rank that made it trains on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from zeroplay.engines.base import Completion
from zeroplay.games.protocol import ScoredTurn
from zeroplay.models.batching import PreparedPrompt


@dataclass
class Sample:
    """One generated turn ready for the loss (see module docstring)."""

    prompt: PreparedPrompt | None
    completion_ids: torch.Tensor
    old_logprobs: torch.Tensor
    temperature: float
    reward: float
    group: str
    role: str
    stage: str
    policy: str
    episode: str = ""
    advantage: float = 0.0
    loss_mask: torch.Tensor | None = None
    finish_reason: str = "stop"
    info: dict[str, Any] = field(default_factory=dict)
    behaviour_logprobs: torch.Tensor | None = None

    def __post_init__(self) -> None:
        n = int(self.completion_ids.shape[0])
        if self.old_logprobs.shape != (n,):
            raise ValueError("old_logprobs must have one value per completion token")
        if self.behaviour_logprobs is not None and self.behaviour_logprobs.shape != (n,):
            raise ValueError("behaviour_logprobs must have one value per completion token")
        if self.loss_mask is None:
            self.loss_mask = torch.ones(n, dtype=torch.float32)

    @property
    def num_completion_tokens(self) -> int:
        return int(self.completion_ids.shape[0])

    @property
    def num_tokens(self) -> int:
        return self.prompt.length + self.num_completion_tokens

    @classmethod
    def from_turn(cls, turn: ScoredTurn, episode: str = "") -> Sample:
        """Build a sample from a game's scored turn whose `generated` is an engine completion."""
        c = turn.generated
        if not isinstance(c, Completion):
            raise TypeError(
                "ScoredTurn.generated must be an engine Completion to train on it, got "
                f"{type(c).__name__}"
            )
        return cls(
            prompt=c.prompt,
            completion_ids=c.token_ids,
            old_logprobs=c.policy_logprobs,
            temperature=c.temperature,
            reward=float(turn.reward),
            group=turn.group,
            role=turn.role,
            stage=turn.stage,
            policy=turn.policy if turn.policy != "default" else c.policy,
            episode=episode,
            finish_reason=c.finish_reason,
            info=dict(turn.info or {}),
            behaviour_logprobs=None if c.trainer_logprobs else c.logprobs,
        )
