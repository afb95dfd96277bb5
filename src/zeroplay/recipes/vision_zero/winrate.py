"""In-game evaluation (Vision-Zero paper, Fig. 6): model A's win rate against model B.

A plays half the games as the civilians and half as the spy, against B in the other role. Each
"A as civilians" game has a mirror "A as spy" game on the same pair, spy seat and sampling seeds,
so the two halves differ only in who plays which side.

Who decides: the civilian side. The civilians win when the decision identifies the spy (the spy
alone gets the most votes; a tie identifies nobody), otherwise the spy wins. In `observer` mode
the observer is played by the civilians' model; in `civilians` mode every civilian votes with its
own (the civilians') model. The spy's model can only influence the decision through its clues.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Literal

from zeroplay.engines.base import Completion, Engine
from zeroplay.engines.request import ChatRequest
from zeroplay.games.protocol import Context
from zeroplay.games.vision_zero import GameResult, play_game
from zeroplay.recipes.vision_zero.data import GameStream, PlannedGame
from zeroplay.rl.rollout import run_episodes

Side = Literal["civilians", "spy"]
MODEL_A = "A"
MODEL_B = "B"
Z_95 = 1.959963984540054  # standard normal quantile for a two-sided 95% interval


def wilson_interval(wins: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion wins / n.

    centre = (p + z²/2n) / (1 + z²/n), half-width = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²);
    unlike the normal interval it stays inside [0, 1] and is not empty at p = 0 or 1.
    """
    if n <= 0:
        raise ValueError("the interval needs at least one game")
    if not 0 <= wins <= n:
        raise ValueError(f"wins must be in [0, {n}], got {wins}")
    p = wins / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # At p = 0 (p = 1) the lower (upper) bound is exactly 0 (1); skip the rounding noise.
    low = 0.0 if wins == 0 else max(0.0, centre - half)
    high = 1.0 if wins == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Tally:
    """A's wins out of some games, with the win rate and its 95% Wilson interval."""

    games: int
    wins: int

    @property
    def rate(self) -> float:
        return self.wins / self.games if self.games else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.wins, self.games)

    def to_json(self) -> dict[str, Any]:
        low, high = self.interval
        return {"games": self.games, "wins": self.wins, "rate": self.rate, "ci95": [low, high]}


@dataclass(frozen=True)
class WinRateReport:
    """A's results as the civilians, as the spy, and over all games."""

    as_civilians: Tally
    as_spy: Tally

    @property
    def overall(self) -> Tally:
        return Tally(
            self.as_civilians.games + self.as_spy.games, self.as_civilians.wins + self.as_spy.wins
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "as_civilians": self.as_civilians.to_json(),
            "as_spy": self.as_spy.to_json(),
            "overall": self.overall.to_json(),
        }


@dataclass(frozen=True)
class Match:
    """One planned game and the side A plays in it."""

    side: Side
    game: PlannedGame


def plan_matches(stream: GameStream, n_games: int) -> list[Match]:
    """`n_games` (even) games: for i < n/2, game i of the stream twice, A as civilians then A as
    the spy; the judge is always the civilians' model."""
    if n_games < 2 or n_games % 2:
        raise ValueError(f"the number of games must be even and >= 2, got {n_games}")
    matches = []
    for i in range(n_games // 2):
        matches.append(
            Match(
                "civilians",
                stream.game(
                    i,
                    game_id=f"m{i}/A-civilians",
                    civilian_policy=MODEL_A,
                    spy_policy=MODEL_B,
                    judge_policy=MODEL_A,
                ),
            )
        )
        matches.append(
            Match(
                "spy",
                stream.game(
                    i,
                    game_id=f"m{i}/A-spy",
                    civilian_policy=MODEL_B,
                    spy_policy=MODEL_A,
                    judge_policy=MODEL_B,
                ),
            )
        )
    return matches


def a_won(side: Side, result: GameResult) -> bool:
    """The civilians win when the decision identifies the spy; the spy wins otherwise."""
    return result.spy_identified if side == "civilians" else not result.spy_identified


def summarize(matches: Sequence[Match], results: Sequence[GameResult]) -> WinRateReport:
    counts = {"civilians": [0, 0], "spy": [0, 0]}
    for match, result in zip(matches, results, strict=True):
        counts[match.side][0] += 1
        counts[match.side][1] += int(a_won(match.side, result))
    return WinRateReport(Tally(*counts["civilians"]), Tally(*counts["spy"]))


class ModelRouter:
    """An engine that answers each request with the engine of its policy name ("A" or "B")."""

    def __init__(self, engines: dict[str, Engine]):
        self.engines = engines

    def generate(self, requests: Sequence[ChatRequest]) -> list[list[Completion]]:
        out: list[list[Completion]] = [[] for _ in requests]
        by_policy: dict[str, list[int]] = {}
        for i, request in enumerate(requests):
            if request.policy not in self.engines:
                raise KeyError(f"no model for policy {request.policy!r}; have {list(self.engines)}")
            by_policy.setdefault(request.policy, []).append(i)
        for policy, indices in by_policy.items():
            answers = self.engines[policy].generate([requests[i] for i in indices])
            for i, answer in zip(indices, answers, strict=True):
                out[i] = answer
        return out


def make_router(
    models: dict[str, tuple[Any, Any]], seed: int = 0, token_budget: int = 16384
) -> ModelRouter:
    """A router over HF engines for {"A": (model, processor), "B": ...}; one engine per distinct
    model, so A against itself loads and runs one model."""
    from zeroplay.engines.hf import HFEngine

    engines: dict[str, Engine] = {}
    made: dict[int, Engine] = {}
    for name, (model, processor) in models.items():
        if id(model) not in made:
            made[id(model)] = HFEngine(
                model,
                processor,
                seed=seed,
                token_budget=token_budget,
                policy_switch=lambda _policy: nullcontext(),  # whole models, no adapters
            )
        engines[name] = made[id(model)]
    return ModelRouter(engines)


def play_matches(
    engine: Engine,
    matches: Sequence[Match],
    games_per_batch: int = 16,
    progress: Callable[[int], None] | None = None,
) -> list[GameResult]:
    """Play every match, `games_per_batch` games at a time (their requests are batched)."""
    results: list[GameResult] = []
    for start in range(0, len(matches), games_per_batch):
        chunk = matches[start : start + games_per_batch]
        episodes = [play_game(Context(), m.game.setup, m.game.config) for m in chunk]
        results.extend(run_episodes(engine, episodes))
        if progress is not None:
            progress(len(chunk))
    return results


def match_records(matches: Sequence[Match], results: Sequence[GameResult]) -> list[dict[str, Any]]:
    """JSON records of the games (for replay), each with A's side and whether A won."""
    return [
        {
            "evaluation": "spy-winrate",
            "a_side": match.side,
            "a_won": a_won(match.side, result),
            "pair_id": match.game.pair_id,
            **result.to_record(),
        }
        for match, result in zip(matches, results, strict=True)
    ]
