"""One GRPO step of one role from a round's scored turns: samples, group advantages, update."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from zeroplay.games.protocol import ScoredTurn
from zeroplay.rl.advantages import AdvantageSpec, compute_advantages
from zeroplay.rl.reward_control import permute_rewards
from zeroplay.rl.samples import Sample
from zeroplay.rl.trainer import Trainer
from zeroplay.runtime.engines import owns


def train_on_turns(
    trainer: Trainer,
    role: str,
    turns: Sequence[ScoredTurn],
    spec: AdvantageSpec,
    episode: str = "",
    *,
    rank: int | None = None,
    control: random.Random | None = None,
) -> tuple[list[Sample], dict[str, Any]]:
    """Turn `turns` into samples, give each its advantage within its group (`spec`), train
    `role` on them; returns the samples and the trainer's statistics.

    With `rank`, `turns` are the whole batch on every rank (played through a `ShardedEngine`):
    advantages and the returned samples cover all of it, and this rank trains the samples it
    generated, so the step is one process's.

    With `control` (the learning proof's control run), the batch's rewards are first permuted
    among its samples with that stream (`permute_rewards`), so the advantages carry no signal.
    """
    samples = [Sample.from_turn(turn, episode=episode) for turn in turns]
    if control is not None:
        permute_rewards(samples, control)
    advantages = compute_advantages(
        spec, [s.reward for s in samples], groups=[s.group for s in samples]
    )
    for sample, advantage in zip(samples, advantages, strict=True):
        sample.advantage = advantage
    if rank is None:
        return samples, trainer.train(role, samples)
    return samples, trainer.train(role, samples, [owns(rank, turn) for turn in turns])
