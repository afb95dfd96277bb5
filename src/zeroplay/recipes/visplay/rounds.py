"""What VisPlay's training phases play: one rollout batch of the questioner or the reasoner.

Each draw (images, kept questions) is seeded from (run seed, phase, step, rank), so a resumed
phase replays the same batches. Functions of the recipe loop (`recipe._Loop`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from zeroplay.engines.base import Engine
from zeroplay.games.protocol import Context, ScoredTurn
from zeroplay.games.visplay import LabelledQuestion, questioner_round, reasoner_round
from zeroplay.recipes.visplay.images import load_images
from zeroplay.recipes.visplay.state import derive_seed
from zeroplay.rl.rollout import run_episodes


@dataclass
class Played:
    """What one rollout step produced: turns to train on, JSON records, metrics of the game."""

    turns: list[ScoredTurn]
    records: list[dict[str, Any]]
    metrics: dict[str, float]


# (loop, engine, phase name, iteration, step in the phase) -> the step's rollouts
Play = Callable[[Any, Engine, str, int, int], Played]


def play_questioner(loop: Any, engine: Engine, name: str, iteration: int, step: int) -> Played:
    """Questioner rollouts on a fresh draw of images, rewarded by the frozen reasoner."""
    draw = random.Random(derive_seed(loop.seed, "images", name, step, loop.rank))
    count = min(loop.config.schedule.questioner_images_per_step, len(loop.images.ids))
    loaded, unreadable = load_images(loop.images, draw.sample(loop.images.ids, count))
    episode = questioner_round(Context(), loaded, loop.game, meta=loop.meta(iteration))
    (played,) = run_episodes(engine, [episode])
    metrics = {**played.metrics, "unreadable_images": float(unreadable)}
    return Played(played.turns, [r.to_record() for r in played.records], metrics)


def play_reasoner(
    loop: Any,
    engine: Engine,
    name: str,
    iteration: int,
    step: int,
    kept: Sequence[LabelledQuestion],
) -> Played:
    """Reasoner rollouts on a draw of kept questions, scored against their silver labels."""
    draw = random.Random(derive_seed(loop.seed, "questions", name, step, loop.rank))
    count = min(loop.config.schedule.reasoner_questions_per_step, len(kept))
    chosen = draw.sample(list(kept), count)
    loaded = dict(load_images(loop.images, sorted({q.image_id for q in chosen}))[0])
    items = [(q, loaded[q.image_id]) for q in chosen if q.image_id in loaded]
    episode = reasoner_round(Context(), items, loop.game, meta=loop.meta(iteration))
    (played,) = run_episodes(engine, [episode])
    metrics = {**played.metrics, "kept_questions": float(len(kept))}
    return Played(played.turns, [r.to_record() for r in played.records], metrics)
