"""Rewards against hand-computed values (reference note §3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroplay.games.vision_zero.parsing import ABSTAIN
from zeroplay.games.vision_zero.rewards import (
    clue_rewards,
    decision_reward,
    decision_reward_code,
    decision_reward_paper,
    spy_identified,
    suspicion_gap,
    tally_votes,
    vote_outcome,
)


def test_worked_example_of_the_note() -> None:
    # 4 players, spy = P2, 8 observer votes: six for P2, one for P1, one N/A.
    votes = [2, 2, 2, 2, 2, 2, 1, ABSTAIN]
    tally = tally_votes(votes, n_players=4)
    assert tally == [1.0, 6.0, 0.0, 0.0]
    # psi = 6 - 1/3 = 17/3
    assert suspicion_gap(tally, spy_seat=2) == pytest.approx(17 / 3)
    rewards = clue_rewards(tally, spy_seat=2, beta=0.1, lam=0.1)
    # r_spy = -0.1 * 17/3; r_P1 = 0.1/3 * 17/3 - 0.1 * (1 - 1/3); r_P3 = r_P4 = 17/90 + 1/30
    assert rewards == pytest.approx(
        [17 / 90 - 2 / 30, -17 / 30, 17 / 90 + 1 / 30, 17 / 90 + 1 / 30]
    )
    assert rewards == pytest.approx([0.12222, -0.56667, 0.22222, 0.22222], abs=1e-5)
    assert sum(rewards) == pytest.approx(0.0, abs=1e-12)


def test_civilian_tallies_weigh_each_sample_one_over_g() -> None:
    # Civilians mode, G = 4: three civilians' samples; invalid (None) and N/A are not counted.
    votes = [3, 3, 3, ABSTAIN, 3, 3, 1, None, 3, 3, 3, 3]
    assert tally_votes(votes, n_players=4, weight=1 / 4) == [0.25, 0.0, 2.25, 0.0]


def test_tally_rejects_out_of_range_seats() -> None:
    with pytest.raises(ValueError, match="not a seat"):
        tally_votes([5], n_players=4)


def test_spy_identified_needs_a_unique_maximum() -> None:
    assert spy_identified([1.0, 6.0, 0.0, 0.0], spy_seat=2)
    assert not spy_identified([3.0, 3.0, 0.0, 0.0], spy_seat=2)  # a tie identifies nobody
    assert not spy_identified([0.0, 0.0, 0.0, 0.0], spy_seat=2)  # everybody abstained
    assert not spy_identified([4.0, 2.0, 0.0, 0.0], spy_seat=2)


def test_vote_outcomes() -> None:
    assert vote_outcome(2, spy_seat=2) == "correct"
    assert vote_outcome(1, spy_seat=2) == "wrong"
    assert vote_outcome(ABSTAIN, spy_seat=2) == "abstain"
    assert vote_outcome(None, spy_seat=2) == "invalid"


def test_paper_decision_reward() -> None:
    assert [decision_reward_paper(o) for o in ("correct", "abstain", "wrong", "invalid")] == [
        1.0,
        -0.5,
        -1.0,
        -1.0,
    ]


@pytest.mark.parametrize(
    ("outcome", "format_ok", "expected"),
    [
        ("correct", True, 0.3 + 1.2 + 0.99),  # 2.49
        ("correct", False, -0.3 + 1.2 + 0.99),  # 1.89
        ("abstain", True, 0.3 - 0.6),  # -0.3
        ("abstain", False, -0.3 - 0.6),  # -0.9
        ("wrong", True, 0.3 - 1.2),  # -0.9
        ("invalid", False, -0.3 - 1.2),  # -1.5
    ],
)
def test_code_decision_reward(outcome: str, format_ok: bool, expected: float) -> None:
    assert decision_reward_code(outcome, format_ok) == pytest.approx(expected)  # type: ignore[arg-type]
    assert decision_reward("code", outcome, format_ok) == pytest.approx(expected)  # type: ignore[arg-type]


def test_paper_reward_ignores_format() -> None:
    assert decision_reward("paper", "correct", False) == 1.0


@given(
    st.lists(st.integers(min_value=0, max_value=8), min_size=3, max_size=7),
    st.data(),
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=0, max_value=1),
)
def test_clue_rewards_are_zero_sum(
    counts: list[int], data: st.DataObject, beta: float, lam: float
) -> None:
    spy = data.draw(st.integers(min_value=1, max_value=len(counts)))
    rewards = clue_rewards([float(c) for c in counts], spy, beta, lam)
    assert sum(rewards) == pytest.approx(0.0, abs=1e-9)
    assert rewards[spy - 1] == pytest.approx(-beta * suspicion_gap([float(c) for c in counts], spy))
