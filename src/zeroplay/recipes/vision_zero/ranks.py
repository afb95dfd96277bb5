"""Cross-rank sums and means, so every data-parallel rank takes the same decisions.

The controller's decision statistics are summed over ranks (an all-reduce with SUM; the identity
on one process), so all ranks switch stages together; the RAE baselines' per-game statistics are
gathered (`runtime.gather_objects`) so every rank applies the same updates in the global game
order. Logged statistics are averaged over ranks (every rank plays the same number of games of
the same shape, so the mean of rank means is the mean over all games); counts are summed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple
from typing import Any

import torch

from zeroplay.games.vision_zero import DecisionStats
from zeroplay.runtime import gather_objects


def sum_over_ranks(accelerator: Any, values: list[float]) -> list[float]:
    """Elementwise sum of `values` over ranks (float64; the identity on one process)."""
    if accelerator.num_processes == 1:
        return [float(v) for v in values]
    tensor = torch.tensor(values, dtype=torch.float64, device=accelerator.device)
    return [float(v) for v in accelerator.reduce(tensor, reduction="sum").tolist()]


def sum_decision_stats(accelerator: Any, stats: DecisionStats) -> DecisionStats:
    """This iteration's decision counts over all ranks."""
    summed = sum_over_ranks(accelerator, [float(v) for v in astuple(stats)])
    return DecisionStats(*(round(v) for v in summed))


def combine_over_ranks(
    accelerator: Any, metrics: dict[str, float], summed: Callable[[str], bool] = lambda _: False
) -> dict[str, float]:
    """Each key over the ranks that report it: summed where `summed(key)`, else the mean."""
    per_rank = gather_objects(accelerator, metrics)
    keys = sorted({k for m in per_rank for k in m})
    out = {}
    for key in keys:
        values = [m[key] for m in per_rank if key in m]
        out[key] = sum(values) if summed(key) else sum(values) / len(values)
    return out
