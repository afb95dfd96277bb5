"""Intervals for the proofs: a paired bootstrap for per-item differences, Wilson for rates."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Z_95 = 1.959963984540054


def paired_bootstrap(
    a: Sequence[float], b: Sequence[float], *, n_boot: int = 4000, seed: int = 0
) -> tuple[float, float, float]:
    """(mean(b - a), 2.5th, 97.5th percentile) over items resampled with replacement.

    `a[i]` and `b[i]` are two models' scores on the same item i, so item difficulty cancels.
    """
    if len(a) != len(b) or not a:
        raise ValueError("paired scores need the same, non-zero number of items")
    diff = np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(diff), size=(n_boot, len(diff)))
    means = diff[picks].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(diff.mean()), float(lo), float(hi)


def wilson(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a binomial rate (well behaved near 0 and 1)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
