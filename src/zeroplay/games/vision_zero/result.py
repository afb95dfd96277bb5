"""What one finished Vision-Zero game holds: every turn, parsed clues and votes, tallies, rewards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zeroplay.answers.parsed import Parsed
from zeroplay.games.protocol import Generated, ScoredTurn
from zeroplay.games.vision_zero.parsing import Vote, shown_clue
from zeroplay.games.vision_zero.rewards import VoteOutcome
from zeroplay.games.vision_zero.roles import STAGE_CLUE, STAGE_DECISION, Role

OBSERVER_SEAT = 0  # the `voter` of observer votes: the judge sits in no seat


@dataclass(frozen=True)
class ClueTurn:
    """One player's clue in one round: the completion, its parsed clue and private reasoning."""

    seat: int
    round: int
    role: Role
    policy: str
    generated: Generated
    clue: Parsed[str]
    reasoning: str

    @property
    def shown(self) -> str:
        """The clue as every other player sees it."""
        return shown_clue(self.clue)


@dataclass(frozen=True)
class VoteSample:
    """One sampled decision: who voted (seat, or OBSERVER_SEAT), the parsed vote and its reward."""

    voter: int
    role: Role
    policy: str
    sample: int
    generated: Generated
    vote: Parsed[Vote]
    outcome: VoteOutcome
    format_ok: bool
    reward: float


@dataclass(frozen=True)
class GameResult:
    """A finished game, for training (`turns`), logging (`game_statistics`) and replay
    (`to_record`)."""

    game_id: str
    domain: str
    n_players: int
    spy_seat: int
    decision_mode: str
    blank_spy: bool
    clue_turns: tuple[ClueTurn, ...]
    votes: tuple[VoteSample, ...]
    tally: tuple[float, ...]  # votes received per seat (index seat - 1), abstain/invalid excluded
    spy_identified: bool  # the spy alone has the most votes
    psi: float  # spy votes minus mean civilian votes
    clue_rewards: tuple[float, ...]  # per seat, copied to each of that seat's clue turns

    @property
    def n_votes(self) -> int:
        return len(self.votes)

    @property
    def n_abstained(self) -> int:
        return sum(1 for v in self.votes if v.outcome == "abstain")

    @property
    def n_invalid(self) -> int:
        return sum(1 for v in self.votes if v.outcome == "invalid")

    @property
    def votes_by_voter(self) -> dict[int, list[Vote | None]]:
        """Each voter's votes in sample order; None is an invalid vote."""
        by_voter: dict[int, list[Vote | None]] = {}
        for v in self.votes:
            by_voter.setdefault(v.voter, []).append(v.vote.value if v.vote.ok else None)
        return by_voter

    def decision_group(self, voter: int) -> str:
        """Group id of a decision sample: one group per observer prompt or per voting civilian."""
        if voter == OBSERVER_SEAT:
            return f"{self.game_id}/decision"
        return f"{self.game_id}/decision/p{voter}"

    @property
    def turns(self) -> list[ScoredTurn]:
        """Every turn with its raw reward; clue turns share one group per game (RAE ignores it)."""
        clue = [
            ScoredTurn(
                generated=t.generated,
                role=t.role,
                stage=STAGE_CLUE,
                group=f"{self.game_id}/clue",
                reward=self.clue_rewards[t.seat - 1],
                policy=t.policy,
                info={"game_id": self.game_id, "seat": t.seat, "round": t.round},
            )
            for t in self.clue_turns
        ]
        decision = [
            ScoredTurn(
                generated=v.generated,
                role=v.role,
                stage=STAGE_DECISION,
                group=self.decision_group(v.voter),
                reward=v.reward,
                policy=v.policy,
                info={"game_id": self.game_id, "seat": v.voter, "sample": v.sample},
            )
            for v in self.votes
        ]
        return clue + decision

    def to_record(self) -> dict[str, Any]:
        """A JSON-able record of the game (texts, roles, seats, rewards, votes; no images)."""
        return {
            "game_id": self.game_id,
            "domain": self.domain,
            "n_players": self.n_players,
            "spy_seat": self.spy_seat,
            "decision_mode": self.decision_mode,
            "blank_spy": self.blank_spy,
            "clue_turns": [
                {
                    "seat": t.seat,
                    "round": t.round,
                    "role": t.role,
                    "policy": t.policy,
                    "text": t.generated.text,
                    "finish_reason": t.generated.finish_reason,
                    "reasoning": t.reasoning,
                    "clue": t.clue.value,
                    "clue_invalid_reason": t.clue.reason,
                    "reward": self.clue_rewards[t.seat - 1],
                }
                for t in self.clue_turns
            ],
            "votes": [
                {
                    "voter": v.voter,
                    "role": v.role,
                    "policy": v.policy,
                    "sample": v.sample,
                    "text": v.generated.text,
                    "finish_reason": v.generated.finish_reason,
                    "vote": v.vote.value,
                    "vote_invalid_reason": v.vote.reason,
                    "outcome": v.outcome,
                    "format_ok": v.format_ok,
                    "reward": v.reward,
                }
                for v in self.votes
            ],
            "tally": list(self.tally),
            "spy_identified": self.spy_identified,
            "psi": self.psi,
            "clue_rewards": list(self.clue_rewards),
            "n_votes": self.n_votes,
            "n_abstained": self.n_abstained,
            "n_invalid": self.n_invalid,
        }
