"""The shared silver-label round: one GRPO group per item, every answer scored against its label."""

from __future__ import annotations

from dataclasses import dataclass

from zeroplay.games.silver import score_against_labels


@dataclass
class _Reply:
    text: str
    finish_reason: str = "stop"


@dataclass
class _Score:
    reward: float
    exact: bool


def test_every_answer_is_scored_against_its_items_label_in_order():
    replies = [[_Reply("4"), _Reply("5")], [], [_Reply("cat")]]
    calls = []

    def score(text: str, label: str) -> _Score:
        calls.append((text, label))
        return _Score(float(text == label), text == label)

    turns, answers = score_against_labels(
        replies,
        ["q1", "q2", "q3"],
        ["4", "7", "dog"],
        score,
        role="solver",
        stage="solver",
        info=lambda group, scored: {"id": group, "exact": scored.exact},
    )
    assert calls == [("4", "4"), ("5", "4"), ("cat", "dog")]
    assert [(t.group, t.reward, t.role, t.policy, t.stage) for t in turns] == [
        ("q1", 1.0, "solver", "solver", "solver"),
        ("q1", 0.0, "solver", "solver", "solver"),
        ("q3", 0.0, "solver", "solver", "solver"),
    ]
    assert turns[0].generated is replies[0][0]
    assert turns[2].info == {"id": "q3", "exact": False}
    assert [(a.item, a.sample_index, a.text, a.label) for a in answers] == [
        (0, 0, "4", "4"),
        (0, 1, "5", "4"),
        (2, 0, "cat", "dog"),
    ]
