"""Per-pair random streams: pair i's output depends only on (seed, i), never on workers or resume."""

from __future__ import annotations

import numpy as np


def pair_rng(seed: int, index: int) -> np.random.Generator:
    """Independent generator for pair `index` of a run seeded with `seed`."""
    return np.random.default_rng(np.random.SeedSequence([seed, index]))


def draw_seed(rng: np.random.Generator) -> int:
    """A 32-bit seed for a component with its own RNG (the renderer's sampler)."""
    return int(rng.integers(0, 2**32))
