"""Seed spaces of the toy model and the learning proofs, kept disjoint and checked in code.

Every generator in zeroplay is a pure function of (seed, index), so two uses of data never
share an item when their seeds differ. The warm-start corpus, the self-play training pairs and
the evaluation suites each own a range of seeds; `check_eval_seed` refuses an evaluation seed
inside the warm-start or training ranges, so held-out items can never be training items.
"""

from __future__ import annotations

WARM_START_BASE = 0  # warm-start corpus seeds: [0, 100_000)
TRAINING_BASE = 100_000  # self-play training pairs: [100_000, 1_000_000)
EVAL_BASE = 1_000_000  # evaluation suites and pairs: [1_000_000, ...)
SPAN = 100_000  # a user seed N maps to BASE + N, so N must be below this


class SeedError(ValueError):
    """A seed outside its space (it could collide with another use of the generators)."""


def _offset(user_seed: int) -> int:
    if not 0 <= user_seed < SPAN:
        raise SeedError(f"seed must be in [0, {SPAN}), got {user_seed}")
    return user_seed


def warm_start_seed(stream: int) -> int:
    """Seed of warm-start stream `stream` (the toy build uses a few fixed streams)."""
    return WARM_START_BASE + _offset(stream)


def training_seed(user_seed: int) -> int:
    """Seed of the self-play training pairs for a run or proof seeded `user_seed`."""
    return TRAINING_BASE + _offset(user_seed)


def eval_seed(user_seed: int, suite: int = 0) -> int:
    """Seed of held-out suite `suite` (0: pairs, 1: QA, ...) for proof seed `user_seed`."""
    if not 0 <= suite < 8:
        raise SeedError(f"suite index must be in [0, 8), got {suite}")
    return check_eval_seed(EVAL_BASE + suite * SPAN + _offset(user_seed))


def check_eval_seed(seed: int) -> int:
    """`seed`, or SeedError when it lies in the warm-start or training ranges."""
    if seed < EVAL_BASE:
        raise SeedError(
            f"evaluation seed {seed} lies in the warm-start/training range [0, {EVAL_BASE}); "
            "held-out data must use seeds from eval_seed()"
        )
    return seed
