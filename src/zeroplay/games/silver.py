"""The silver-label training round that VisPlay's reasoner and MM-Zero's solver share.

Both methods label their own questions by majority vote (`answers.majority`) and then train the
answering role against those labels: every labelled item is answered G times, the G answers form
one GRPO group, and each answer is scored against the item's silver label by the game's reward.
This module turns the sampled answers into training turns and per-answer results; the games keep
their prompts, rewards and record types.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from zeroplay.games.protocol import Generated, ScoredTurn


class Scored(Protocol):
    """What a silver-label reward returns: at least the reward itself."""

    @property
    def reward(self) -> float: ...


S = TypeVar("S", bound=Scored)


@dataclass(frozen=True)
class SilverAnswer(Generic[S]):
    """One sampled answer to item `item` (its position in the round), scored against `label`."""

    item: int
    sample_index: int
    text: str
    label: str
    score: S


def score_against_labels(
    replies: Sequence[Sequence[Generated]],
    groups: Sequence[str],
    labels: Sequence[str],
    score: Callable[[str, str], S],
    *,
    role: str,
    stage: str,
    info: Callable[[str, S], dict[str, Any]],
) -> tuple[list[ScoredTurn], list[SilverAnswer[S]]]:
    """Score every reply of item k against `labels[k]`; returns the turns (GRPO group
    `groups[k]`, trained as policy `role`) and the answers, item by item, sample by sample.

    `score(text, label)` is the game's reward; `info(group, score)` the turn's info dict.
    """
    turns: list[ScoredTurn] = []
    answers: list[SilverAnswer[S]] = []
    for item, (group, label, samples) in enumerate(zip(groups, labels, replies, strict=True)):
        for k, generated in enumerate(samples):
            scored = score(generated.text, label)
            answers.append(SilverAnswer(item, k, generated.text, label, scored))
            turns.append(
                ScoredTurn(
                    generated=generated,
                    role=role,
                    stage=stage,
                    group=group,
                    reward=scored.reward,
                    policy=role,
                    info=info(group, scored),
                )
            )
    return turns, answers
