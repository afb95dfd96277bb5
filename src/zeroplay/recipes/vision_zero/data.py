"""Image pairs for Vision-Zero games: finding them, sizing them, and which pair game k plays.

Game k of a run is a pure function of (seed, k): epoch `k // n_pairs` shuffles the pairs with
its own seed, and the game's spy seat and sampling seed come from a stream seeded by k. So games
are resampled every epoch, data-parallel ranks (which take disjoint k) play different games, and
a resumed run replays exactly the games it would have played, with no data RNG to checkpoint.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from zeroplay.data.images import open_image
from zeroplay.data.pairs import ImagePair, load_pairs
from zeroplay.games.vision_zero import GameSetup, VisionZeroGameConfig, draw_setup
from zeroplay.recipes.config_io import ConfigError
from zeroplay.recipes.vision_zero.config import DataSection, GenerateSection

log = logging.getLogger(__name__)

GENERATED_PAIRS = Path("data") / "pairs"  # inside the run directory


def fit_pixels(width: int, height: int, min_pixels: int, max_pixels: int) -> tuple[int, int]:
    """The size, with the same aspect ratio, whose area lies in [min_pixels, max_pixels].

    Scale s = sqrt(bound / area); sides are floored when shrinking (area stays <= max) and
    ceiled when growing (area reaches >= min). Sizes already inside the window are kept.
    """
    area = width * height
    if area > max_pixels:
        s = math.sqrt(max_pixels / area)
        return max(1, math.floor(width * s)), max(1, math.floor(height * s))
    if area < min_pixels:
        s = math.sqrt(min_pixels / area)
        return math.ceil(width * s), math.ceil(height * s)
    return width, height


def resize_pair(
    original: Image.Image, modified: Image.Image, min_pixels: int, max_pixels: int
) -> tuple[Image.Image, Image.Image]:
    """Both images at the original's fitted size, so the two pictures stay pixel-aligned."""
    size = fit_pixels(original.width, original.height, min_pixels, max_pixels)
    out = []
    for image in (original, modified):
        out.append(image if image.size == size else image.resize(size, Image.Resampling.BICUBIC))
    return out[0], out[1]


def open_pair(
    pair: ImagePair, min_pixels: int, max_pixels: int
) -> tuple[Image.Image, Image.Image] | None:
    """The pair's images (RGB, resized into the window), or None when either cannot be read."""
    original, modified = open_image(pair.original), open_image(pair.modified)
    if original is None or modified is None:
        return None
    return resize_pair(original, modified, min_pixels, max_pixels)


def generate_pairs_into(section: GenerateSection, folder: Path, seed: int) -> None:
    """Make `section.pairs` chart, CLEVR or toy pairs in `folder` (finished pairs are kept)."""
    from zeroplay.data.runner import generate_pairs

    if section.kind == "chart":
        from zeroplay.data.charts.pairs import ChartPairConfig, ChartPairMaker

        maker = ChartPairMaker(
            ChartPairConfig(seed=seed, width=section.width, height=section.height)
        )
    elif section.kind == "toy":
        from zeroplay.data.clevr.toy import toy_pair_maker

        maker = toy_pair_maker(seed, section.width, section.height)
    else:
        from zeroplay.data.clevr.pairs import ClevrPairConfig, ClevrPairMaker
        from zeroplay.data.clevr.render import RenderConfig
        from zeroplay.data.clevr.scene import SceneConfig
        from zeroplay.data.clevr.variant import RenderUnavailable, resolve_variant

        try:
            variant = resolve_variant("auto")
        except RenderUnavailable as error:
            raise ConfigError(f"data.generate.kind clevr: {error}; or use kind chart") from None
        maker = ClevrPairMaker(
            ClevrPairConfig(
                seed=seed,
                scene=SceneConfig(width=section.width, height=section.height),
                render=RenderConfig(spp=section.spp or 4, variant=variant),
            )
        )
    report = generate_pairs(maker, folder, section.pairs)
    if report.skipped:
        log.warning("%d generated pairs were skipped", len(report.skipped))


def user_pairs(data: DataSection) -> tuple[list[ImagePair], Path] | None:
    """The pairs in the folder the user named (`data.path`), or None when none is named.

    An explicit folder is always used or refused, never replaced by generated pairs: it must
    hold pairs and at least one of them must be readable. Read-only, so a run checks it before
    writing anything.
    """
    if not data.path:
        return None
    folder = Path(data.path).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"data folder {str(folder)!r} does not exist{_MAKE_PAIRS}")
    pairs = load_pairs(folder, domain=data.domain)
    if not pairs:
        raise ConfigError(
            f"data folder {str(folder)!r} holds no <id>_original/<id>_modified pairs{_MAKE_PAIRS}"
        )
    if not any(open_pair(pair, data.min_pixels, data.max_pixels) for pair in pairs):
        raise ConfigError(f"none of the {len(pairs)} pairs in {str(folder)!r} can be read")
    return pairs, folder


_MAKE_PAIRS = (
    "; make pairs with `zeroplay data clevr --out DIR` (or `data charts`, `data edits`), then "
    "pass --data DIR, or leave data.path unset and set data.generate to have the recipe make a "
    "few itself"
)


def find_pairs(
    data: DataSection,
    run_root: Path,
    seed: int,
    *,
    is_main: bool = True,
    barrier: Callable[[], None] = lambda: None,
) -> tuple[list[ImagePair], Path]:
    """The pairs a run plays and their folder.

    The user's folder (`data.path`, see `user_pairs`) when one is named; otherwise, if
    `data.generate` is set, pairs generated by the main process into RUN_DIR/data/pairs (the
    user's folder is never written to); otherwise a ConfigError that says how to make data.
    """
    named = user_pairs(data)
    if named is not None:
        return named
    if data.generate is None:
        raise ConfigError(f"data.path is not set{_MAKE_PAIRS}")
    target = run_root / GENERATED_PAIRS
    if is_main:
        generate_pairs_into(data.generate, target, seed)
    barrier()
    pairs = load_pairs(target)
    if not pairs:
        raise ConfigError(f"generating pairs into {target} produced none")
    return pairs, target


def check_domains(pairs: list[ImagePair], game_domain: str, folder: Path) -> None:
    """With `game.domain: auto` every pair must know its domain (its prompts depend on it)."""
    if game_domain != "auto":
        return
    unknown = [p.id for p in pairs if p.domain == "unknown"]
    if unknown:
        raise ConfigError(
            f"{len(unknown)} of {len(pairs)} pairs in {folder} have no known domain (e.g. "
            f"{unknown[0]!r}); set data.domain (clevr, chart or photo) for image-only folders, "
            "or game.domain"
        )


@dataclass(frozen=True)
class PlannedGame:
    """One game ready to play: its setup, its game configuration, and where its pair came from."""

    index: int
    epoch: int
    pair_id: str
    setup: GameSetup
    config: VisionZeroGameConfig


class GameStream:
    """Game k -> (pair, spy seat, seed), a pure function of (seed, k); see module docstring.

    `config_for(domain)` gives the game configuration of a pair's domain. A pair whose images
    cannot be read is skipped in favour of the next one in the epoch's order (and reported once).
    """

    def __init__(
        self,
        pairs: list[ImagePair],
        seed: int,
        config_for: Callable[[str], VisionZeroGameConfig],
        min_pixels: int,
        max_pixels: int,
    ):
        if not pairs:
            raise ValueError("a game stream needs at least one pair")
        self.pairs = pairs
        self.seed = seed
        self.config_for = config_for
        self.min_pixels = min_pixels
        self.max_pixels = max_pixels
        self._orders: dict[int, list[int]] = {}
        self._broken: set[str] = set()

    def order(self, epoch: int) -> list[int]:
        """The epoch's permutation of pair indices (its own seeded shuffle)."""
        if epoch not in self._orders:
            order = list(range(len(self.pairs)))
            random.Random(f"vision-zero/epoch/{self.seed}/{epoch}").shuffle(order)
            self._orders = {epoch: order}  # epochs advance; keep only the current one
        return self._orders[epoch]

    def _images(self, k: int) -> tuple[ImagePair, tuple[Image.Image, Image.Image]]:
        n = len(self.pairs)
        order = self.order(k // n)
        for offset in range(n):
            pair = self.pairs[order[(k + offset) % n]]
            if pair.id in self._broken:
                continue
            images = open_pair(pair, self.min_pixels, self.max_pixels)
            if images is not None:
                return pair, images
            self._broken.add(pair.id)
            log.warning("skipping pair %s: its images cannot be read", pair.id)
        raise RuntimeError("no pair of the data folder can be read")

    def game(
        self,
        k: int,
        *,
        game_id: str | None = None,
        civilian_policy: str = "default",
        spy_policy: str = "default",
        judge_policy: str = "default",
    ) -> PlannedGame:
        """Game k: the same pair, spy seat and seed for the same (seed, k), whatever the policies."""
        pair, images = self._images(k)
        config = self.config_for(pair.domain)
        rng = random.Random(f"vision-zero/game/{self.seed}/{k}")
        setup = draw_setup(
            images,
            rng,
            config,
            game_id or f"g{k}",
            civilian_policy=civilian_policy,
            spy_policy=spy_policy,
            judge_policy=judge_policy,
        )
        return PlannedGame(k, k // len(self.pairs), pair.id, setup, config)


def game_indices(step: int, rank: int, world: int, per_rank: int) -> range:
    """Global indices of the games rank `rank` plays at 0-based iteration `step`."""
    start = (step * world + rank) * per_rank
    return range(start, start + per_rank)
