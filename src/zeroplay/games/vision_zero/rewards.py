"""Vision-Zero rewards as pure functions of vote tallies and vote outcomes (reference note §3).

Seats are 1-based; a tally is a list indexed by `seat - 1`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final, Literal

from zeroplay.games.vision_zero.config import DecisionRewardKind
from zeroplay.games.vision_zero.parsing import ABSTAIN, Vote

VoteOutcome = Literal["correct", "abstain", "wrong", "invalid"]


def tally_votes(votes: Iterable[Vote | None], n_players: int, weight: float = 1.0) -> list[float]:
    """Votes received per seat, each counted vote weighing `weight`.

    Abstentions (ABSTAIN) and invalid votes (None) are not counted. Counts are summed as integers
    and scaled once, so seats with equal counts get exactly equal tallies (ties stay ties).
    """
    counts = [0] * n_players
    for vote in votes:
        if vote is None or vote == ABSTAIN:
            continue
        if not isinstance(vote, int) or not 1 <= vote <= n_players:
            raise ValueError(f"vote {vote!r} is not a seat in 1..{n_players}")
        counts[vote - 1] += 1
    return [count * weight for count in counts]


def suspicion_gap(tally: Sequence[float], spy_seat: int) -> float:
    """psi = v_s - mean_j v_cj: the spy's votes minus the civilians' mean votes (paper Eq. 1)."""
    civilian_votes = [v for seat, v in enumerate(tally, start=1) if seat != spy_seat]
    return tally[spy_seat - 1] - sum(civilian_votes) / len(civilian_votes)


def clue_rewards(tally: Sequence[float], spy_seat: int, beta: float, lam: float) -> list[float]:
    """Zero-sum clue-stage reward per seat (paper Eq. 1).

    r_spy = -beta * psi;  r_civ_j = (beta / n_c) * psi - lam * (v_cj - mean_c v_c).
    The lam terms sum to zero over civilians, so the rewards of all players sum to zero.
    """
    n_civilians = len(tally) - 1
    civilian_mean = (sum(tally) - tally[spy_seat - 1]) / n_civilians
    psi = tally[spy_seat - 1] - civilian_mean
    return [
        -beta * psi
        if seat == spy_seat
        else beta / n_civilians * psi - lam * (votes - civilian_mean)
        for seat, votes in enumerate(tally, start=1)
    ]


def spy_identified(tally: Sequence[float], spy_seat: int) -> bool:
    """The decision is correct when the spy alone has the most votes (a tie identifies nobody)."""
    spy_votes = tally[spy_seat - 1]
    return spy_votes > 0 and all(
        votes < spy_votes for seat, votes in enumerate(tally, start=1) if seat != spy_seat
    )


def vote_outcome(vote: Vote | None, spy_seat: int) -> VoteOutcome:
    """How one vote sample is scored: None is an invalid (unparseable or out-of-range) vote."""
    if vote is None:
        return "invalid"
    if vote == ABSTAIN:
        return "abstain"
    return "correct" if vote == spy_seat else "wrong"


# Paper Eq. 4: +1 correct, -0.5 for "n/a", -1 otherwise (wrong or invalid).
PAPER_DECISION_REWARD: Final[dict[VoteOutcome, float]] = {
    "correct": 1.0,
    "abstain": -0.5,
    "wrong": -1.0,
    "invalid": -1.0,
}

# Released code (reference note §3.3): r = 0.3*fmt + 1.2*acc + 0.99*[acc > 0], fmt = +-1, where
# acc is the paper's reward above (+1 correct, -0.5 abstain, -1 wrong or invalid).
CODE_FORMAT_WEIGHT: Final = 0.3
CODE_ACCURACY_WEIGHT: Final = 1.2
CODE_CORRECT_BONUS: Final = 0.99


def decision_reward_paper(outcome: VoteOutcome) -> float:
    """Paper Eq. 4 reward of one vote."""
    return PAPER_DECISION_REWARD[outcome]


def decision_reward_code(outcome: VoteOutcome, format_ok: bool) -> float:
    """The released code's reward of one vote: 2.49 / -0.3 / -0.9 with good format, 0.6 less
    without."""
    accuracy = PAPER_DECISION_REWARD[outcome]
    return (
        CODE_FORMAT_WEIGHT * (1.0 if format_ok else -1.0)
        + CODE_ACCURACY_WEIGHT * accuracy
        + CODE_CORRECT_BONUS * (1.0 if accuracy > 0 else 0.0)
    )


def decision_reward(kind: DecisionRewardKind, outcome: VoteOutcome, format_ok: bool) -> float:
    """The configured decision reward of one vote (`format_ok` only matters for "code")."""
    if kind == "code":
        return decision_reward_code(outcome, format_ok)
    return decision_reward_paper(outcome)
