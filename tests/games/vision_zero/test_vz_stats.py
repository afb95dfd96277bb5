"""Game statistics over finished games against hand-computed values."""

from __future__ import annotations

import pytest

from zeroplay.answers.parsed import Parsed
from zeroplay.games.protocol import ScriptedGeneration
from zeroplay.games.vision_zero.result import ClueTurn, GameResult, VoteSample
from zeroplay.games.vision_zero.stats import DecisionStats, decision_stats, game_statistics


def game(
    spy: int, tally: tuple[float, ...], outcomes: list[str], rewards: tuple[float, ...]
) -> GameResult:
    clue_turns = tuple(
        ClueTurn(
            seat=s,
            round=1,
            role="spy" if s == spy else "civilian",
            policy="default",
            generated=ScriptedGeneration("ab \\boxed{c}", "length" if s == 1 else "stop"),
            clue=Parsed.valid("c") if s != 2 else Parsed.invalid("no \\boxed{...}"),
            reasoning="ab",
        )
        for s in range(1, 4)
    )
    votes = tuple(
        VoteSample(
            voter=0,
            role="observer",
            policy="default",
            sample=i,
            generated=ScriptedGeneration("x" * 10),
            vote=Parsed.invalid("no \\boxed{...}") if o == "invalid" else Parsed.valid(1),
            outcome=o,  # type: ignore[arg-type]
            format_ok=True,
            reward={"correct": 1.0, "abstain": -0.5, "wrong": -1.0, "invalid": -1.0}[o],
        )
        for i, o in enumerate(outcomes)
    )
    return GameResult(
        game_id="g",
        domain="clevr",
        n_players=3,
        spy_seat=spy,
        decision_mode="observer",
        blank_spy=False,
        clue_turns=clue_turns,
        votes=votes,
        tally=tally,
        spy_identified=tally[spy - 1] > max(t for s, t in enumerate(tally, 1) if s != spy),
        psi=0.0,
        clue_rewards=rewards,
    )


def test_statistics_by_hand() -> None:
    results = [
        game(1, (3.0, 1.0, 0.0), ["correct"] * 3 + ["wrong", "abstain"], (-0.25, 0.05, 0.2)),
        game(
            2,
            (1.0, 1.0, 0.0),
            ["correct", "wrong", "invalid", "invalid", "abstain"],
            (0.1, 0.0, -0.1),
        ),
    ]
    assert decision_stats(results) == DecisionStats(
        games=2, identified=1, votes=10, abstained=2, invalid=2
    )
    stats = game_statistics(results)
    assert stats == {
        "games": 2.0,
        "decision/accuracy": 0.5,
        "decision/abstain_rate": 0.2,
        "decision/invalid_rate": 0.2,
        "decision/spy_vote_share": 0.4,  # 4 correct samples of 10
        "decision/truncated_rate": 0.0,
        "decision/completion_chars": 10.0,
        "clue/psi": 0.0,
        "clue/invalid_rate": pytest.approx(1 / 3),
        "clue/truncated_rate": pytest.approx(1 / 3),
        "clue/completion_chars": 12.0,
        "reward/clue/spy": pytest.approx((-0.25 + 0.0) / 2),
        "reward/clue/civilian": pytest.approx((0.05 + 0.2 + 0.1 - 0.1) / 4),
        "reward/decision/observer": pytest.approx((3 - 1 - 0.5 + 1 - 1 - 1 - 1 - 0.5) / 10),
    }


def test_empty_and_summed_statistics() -> None:
    assert game_statistics([]) == {"games": 0.0}
    assert DecisionStats().accuracy == 0.0 and DecisionStats().abstention_rate == 0.0
    total = DecisionStats(2, 1, 16, 3, 1) + DecisionStats(1, 1, 8, 1, 0)
    assert total == DecisionStats(games=3, identified=2, votes=24, abstained=4, invalid=1)
    assert total.accuracy == pytest.approx(2 / 3)
    assert total.abstention_rate == pytest.approx(4 / 24)
