"""Fill a masked region from its surroundings (harmonic inpainting, coarse to fine).

Unknown pixels converge to the average of their neighbours, so the hole takes the smooth
colours of its border: an object inside the hole disappears into its background. Solving on an
image pyramid first makes the Jacobi iterations converge in a few dozen sweeps per level.
"""

from __future__ import annotations

import numpy as np

COARSEST_SIDE = 8
COARSE_SWEEPS = 200
FINE_SWEEPS = 40


def _downsample(values: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2x2 blocks -> one pixel: the mean of the block's known pixels; known if any is."""
    height, width = known.shape
    h2, w2 = -(-height // 2) * 2, -(-width // 2) * 2
    v = np.zeros((h2, w2, values.shape[2]), dtype=np.float32)
    k = np.zeros((h2, w2), dtype=np.float32)
    v[:height, :width] = values * known[..., None]
    k[:height, :width] = known
    v_sum = v.reshape(h2 // 2, 2, w2 // 2, 2, -1).sum(axis=(1, 3))
    k_sum = k.reshape(h2 // 2, 2, w2 // 2, 2).sum(axis=(1, 3))
    coarse_known = k_sum > 0
    coarse = v_sum / np.maximum(k_sum, 1.0)[..., None]
    return coarse, coarse_known


def _sweeps(values: np.ndarray, known: np.ndarray, count: int) -> np.ndarray:
    """Jacobi sweeps: each unknown pixel becomes the mean of its 4 neighbours."""
    unknown = ~known
    for _ in range(count):
        padded = np.pad(values, ((1, 1), (1, 1), (0, 0)), mode="edge")
        mean = (padded[:-2, 1:-1] + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:]) / 4.0
        values = np.where(unknown[..., None], mean, values)
    return values


def harmonic_fill(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Fill the pixels where `known` is False; `values` is (H, W, C) float, known (H, W) bool."""
    if not known.any():
        raise ValueError("nothing known to fill from")
    height, width = known.shape
    if min(height, width) <= COARSEST_SIDE:
        start = np.where(known[..., None], values, values[known].mean(axis=0))
        return _sweeps(start.astype(np.float32), known, COARSE_SWEEPS)
    coarse_values, coarse_known = _downsample(values, known)
    coarse = harmonic_fill(coarse_values, coarse_known)
    guess = np.repeat(np.repeat(coarse, 2, axis=0), 2, axis=1)[:height, :width]
    start = np.where(known[..., None], values, guess).astype(np.float32)
    return _sweeps(start, known, FINE_SWEEPS)
