"""Which rows each MM-Zero step uses: cycled shuffled batches, clamped sizes, offline seed rows.

Every choice is a pure function of a string key and a step number, so a resumed run picks the
same rows as an uninterrupted one without storing any sampler state.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import TypeVar

from zeroplay.games.mm_zero import SeedPrompt

T = TypeVar("T")


def clamped_batch(requested: int, available: int) -> int:
    """The rollout batch for `available` rows (note §6, CodeGen and Solver phases).

    Enough rows: the requested size. Fewer: the largest power of two that fits, as the released
    script clamped it; with fewer than 16 rows (below its smallest power) every row.
    """
    if available < 1:
        raise ValueError("no rows to batch")
    if available >= requested:
        return requested
    if available < 16:
        return available
    return 1 << (available.bit_length() - 1)


def updates_per_step(rollout_batch: int, global_batch: int) -> int:
    """Optimizer updates per GRPO step: rollout prompts / prompts per update, rounded up, with
    the global batch clamped to the rollout batch (note §6)."""
    return math.ceil(rollout_batch / min(global_batch, rollout_batch))


def cyclic_batch(items: Sequence[T], size: int, step: int, key: str) -> list[T]:
    """Batch `step` (0-based) of a dataloader that reshuffles every epoch and drops the last
    partial batch, cycling forever (EasyR1 restarts its dataloader, note §6)."""
    if not 1 <= size <= len(items):
        raise ValueError(f"batch size {size} must be in [1, {len(items)}]")
    per_epoch = len(items) // size
    epoch, slot = divmod(step, per_epoch)
    order = list(range(len(items)))
    random.Random(f"{key}:epoch{epoch}").shuffle(order)
    return [items[i] for i in order[slot * size : (slot + 1) * size]]


def offline_seed_rows(seeds: Sequence[SeedPrompt], count: int, key: str) -> list[SeedPrompt]:
    """`count` seed rows for offline proposals: row j has topic j mod 8, as the released
    generator used `SEED_TOPICS[i % 8]` (note §2.1); within a topic the rows come in a seeded
    order, repeating when a topic runs out."""
    by_topic: dict[str, list[SeedPrompt]] = {}
    for seed in seeds:
        by_topic.setdefault(seed.topic, []).append(seed)
    topics = list(by_topic)
    for topic in topics:
        random.Random(f"{key}:{topic}").shuffle(by_topic[topic])
    out = []
    for j in range(count):
        rows = by_topic[topics[j % len(topics)]]
        out.append(rows[(j // len(topics)) % len(rows)])
    return out
