"""The learning proofs' control: the same training with the reward signal destroyed.

`permute_rewards` shuffles the rewards of a batch among its samples (within each stage, so a
stage's reward scale is kept), after the game has scored them and before advantages are made.
Everything else (rollouts, optimizer, KL, schedule) stays the same, so what the real run gains
beyond the control is what the rewards taught.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from zeroplay.rl.samples import Sample


def permute_rewards(samples: Sequence[Sample], rng: random.Random) -> None:
    """Shuffle `reward` among the samples of each stage, in place."""
    by_stage: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_stage[sample.stage].append(sample)
    for group in by_stage.values():
        rewards = [s.reward for s in group]
        rng.shuffle(rewards)
        for sample, reward in zip(group, rewards, strict=True):
            sample.reward = reward
