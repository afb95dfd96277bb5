"""Per-step statistics over finished games: the controller's decision statistics and the flat
game-side metrics logged each optimizer step (reference note §8, §11 item 10)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from zeroplay.games.protocol import Generated
from zeroplay.games.vision_zero.result import GameResult


@dataclass(frozen=True)
class DecisionStats:
    """Counts from one iteration's decision rollouts. Counts (not rates) so that data-parallel
    ranks can sum them before the controller sees them."""

    games: int = 0
    identified: int = 0  # games whose tally argmax is the true spy alone
    votes: int = 0  # decision samples
    abstained: int = 0
    invalid: int = 0

    def __add__(self, other: DecisionStats) -> DecisionStats:
        return DecisionStats(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(self))
        )

    @property
    def accuracy(self) -> float:
        """acc_t: the fraction of games where the spy got the most votes (0 with no games)."""
        return self.identified / self.games if self.games else 0.0

    @property
    def abstention_rate(self) -> float:
        """na_t: the fraction of decision samples that answered N/A (0 with no samples)."""
        return self.abstained / self.votes if self.votes else 0.0

    @property
    def invalid_rate(self) -> float:
        return self.invalid / self.votes if self.votes else 0.0


def decision_stats(results: Sequence[GameResult]) -> DecisionStats:
    """The controller's input for one iteration."""
    return DecisionStats(
        games=len(results),
        identified=sum(1 for r in results if r.spy_identified),
        votes=sum(r.n_votes for r in results),
        abstained=sum(r.n_abstained for r in results),
        invalid=sum(r.n_invalid for r in results),
    )


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _truncated(generated: Generated) -> float:
    return 1.0 if generated.finish_reason == "length" else 0.0


def game_statistics(results: Sequence[GameResult]) -> dict[str, float]:
    """Flat metrics over finished games (only {"games": 0.0} when there are none).

    Completion lengths are in characters; token counts live on the engine's completions.
    """
    if not results:
        return {"games": 0.0}
    decision = decision_stats(results)
    clue_turns = [t for r in results for t in r.clue_turns]
    votes = [v for r in results for v in r.votes]
    stats: dict[str, float] = {
        "games": float(decision.games),
        "decision/accuracy": decision.accuracy,
        "decision/abstain_rate": decision.abstention_rate,
        "decision/invalid_rate": decision.invalid_rate,
        "decision/spy_vote_share": _mean([1.0 if v.outcome == "correct" else 0.0 for v in votes]),
        "decision/truncated_rate": _mean([_truncated(v.generated) for v in votes]),
        "decision/completion_chars": _mean([len(v.generated.text) for v in votes]),
        "clue/psi": _mean([r.psi for r in results]),
        "clue/invalid_rate": _mean([0.0 if t.clue.ok else 1.0 for t in clue_turns]),
        "clue/truncated_rate": _mean([_truncated(t.generated) for t in clue_turns]),
        "clue/completion_chars": _mean([len(t.generated.text) for t in clue_turns]),
        "reward/clue/spy": _mean([r.clue_rewards[r.spy_seat - 1] for r in results]),
        "reward/clue/civilian": _mean(
            [x for r in results for seat, x in enumerate(r.clue_rewards, 1) if seat != r.spy_seat]
        ),
    }
    for role in sorted({v.role for v in votes}):
        stats[f"reward/decision/{role}"] = _mean([v.reward for v in votes if v.role == role])
    return stats
