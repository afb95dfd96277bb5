"""`train_on_turns`: group advantages, and the proof's control (rewards permuted first)."""

from __future__ import annotations

import random

import pytest
import torch

from zeroplay.engines.base import Completion
from zeroplay.engines.request import ChatRequest, user_message
from zeroplay.games.protocol import ScoredTurn
from zeroplay.rl.advantages import AdvantageSpec
from zeroplay.runtime.steps import train_on_turns


class _Recorder:
    """A trainer stand-in that keeps what it was asked to train."""

    def __init__(self):
        self.trained = []

    def train(self, role, samples, owned=None):
        self.trained.append((role, list(samples)))
        return {"loss": 0.0}


def _turns(rewards):
    request = ChatRequest([user_message("q")])
    return [
        ScoredTurn(
            generated=Completion(
                request=request,
                prompt=object(),
                index=i,
                token_ids=torch.tensor([1, 2]),
                logprobs=torch.zeros(2),
                policy_logprobs=torch.zeros(2),
                text=str(i),
                finish_reason="stop",
            ),
            role="reasoner",
            stage="reasoner",
            group="g",
            reward=r,
        )
        for i, r in enumerate(rewards)
    ]


SPEC = AdvantageSpec(kind="zscore", std="population")


def test_advantages_are_the_groups_z_scores():
    samples, _ = train_on_turns(_Recorder(), "reasoner", _turns([1.0, 0.0, 0.0, 1.0]), SPEC)
    # mean 0.5, population std 0.5 (+ eps 1e-6): +1 for the rewarded samples, -1 for the others
    assert [s.advantage for s in samples] == pytest.approx([1.0, -1.0, -1.0, 1.0], abs=1e-5)


def test_control_permutes_the_rewards_before_the_advantages():
    rewards = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    trainer = _Recorder()
    samples, _ = train_on_turns(
        trainer, "reasoner", _turns(rewards), SPEC, control=random.Random(3)
    )
    got = [s.reward for s in samples]
    expected = list(rewards)
    random.Random(3).shuffle(expected)
    # the same values in the stream's order (so a resumed run repeats it), not the games' order
    assert got == expected and got != rewards
    # the advantages are the z-scores of the permuted rewards: mean 2.5, population std
    # sqrt(35/12)
    std = (35 / 12) ** 0.5
    assert [s.advantage for s in samples] == pytest.approx([(r - 2.5) / std for r in got], abs=1e-5)
    assert trainer.trained[0][1] == samples
