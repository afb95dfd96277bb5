"""One GRPO step of one role from a round's scored turns: samples, group advantages, update."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zeroplay.games.protocol import ScoredTurn
from zeroplay.rl.advantages import AdvantageSpec, compute_advantages
from zeroplay.rl.samples import Sample
from zeroplay.rl.trainer import Trainer


def train_on_turns(
    trainer: Trainer,
    role: str,
    turns: Sequence[ScoredTurn],
    spec: AdvantageSpec,
    episode: str = "",
) -> tuple[list[Sample], dict[str, Any]]:
    """Turn `turns` into samples, give each its advantage within its group (`spec`), train
    `role` on them; returns the samples and the trainer's statistics."""
    samples = [Sample.from_turn(turn, episode=episode) for turn in turns]
    advantages = compute_advantages(
        spec, [s.reward for s in samples], groups=[s.group for s in samples]
    )
    for sample, advantage in zip(samples, advantages, strict=True):
        sample.advantage = advantage
    return samples, trainer.train(role, samples)
