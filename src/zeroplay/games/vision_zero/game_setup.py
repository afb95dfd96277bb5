"""Who sits where in one game: the image pair, the spy's seat, each seat's policy and a seed."""

from __future__ import annotations

import random
from dataclasses import dataclass

from PIL import Image

from zeroplay.games.vision_zero.config import VisionZeroGameConfig

DEFAULT_POLICY = "default"


@dataclass(frozen=True)
class GameSetup:
    """The inputs of one game.

    `seat_policies[seat - 1]` names the policy (model or adapter) that plays that seat, and
    `judge_policy` the one that samples the observer's decision, so the same code runs self-play
    (all "default") and policy-vs-policy evaluation (A plays the civilians, B the spy).
    `seed`, when set, gives every request of the game its own sampling seed.
    """

    game_id: str
    original: Image.Image
    modified: Image.Image
    spy_seat: int
    seat_policies: tuple[str, ...]
    judge_policy: str = DEFAULT_POLICY
    seed: int | None = None

    def policy_of(self, seat: int) -> str:
        return self.seat_policies[seat - 1]

    def check(self, cfg: VisionZeroGameConfig) -> None:
        """Raises ValueError when this setup does not fit the game configuration."""
        if not 1 <= self.spy_seat <= cfg.n_players:
            raise ValueError(f"spy_seat {self.spy_seat} is not in 1..{cfg.n_players}")
        if len(self.seat_policies) != cfg.n_players:
            raise ValueError(
                f"seat_policies names {len(self.seat_policies)} seats, the game has {cfg.n_players}"
            )


def draw_setup(
    pair_images: tuple[Image.Image, Image.Image],
    rng: random.Random,
    cfg: VisionZeroGameConfig,
    game_id: str,
    *,
    civilian_policy: str = DEFAULT_POLICY,
    spy_policy: str = DEFAULT_POLICY,
    judge_policy: str = DEFAULT_POLICY,
) -> GameSetup:
    """A game on the (original, modified) pair with the spy's seat drawn uniformly from `rng`."""
    original, modified = pair_images
    spy_seat = rng.randint(1, cfg.n_players)
    seat_policies = tuple(
        spy_policy if seat == spy_seat else civilian_policy for seat in range(1, cfg.n_players + 1)
    )
    return GameSetup(
        game_id=game_id,
        original=original,
        modified=modified,
        spy_seat=spy_seat,
        seat_policies=seat_policies,
        judge_policy=judge_policy,
        seed=rng.getrandbits(63),
    )


def blank_like(image: Image.Image) -> Image.Image:
    """A white RGB image of the same size: the spy's picture in the blank-spy variant (paper v2)."""
    return Image.new("RGB", image.size, (255, 255, 255))
