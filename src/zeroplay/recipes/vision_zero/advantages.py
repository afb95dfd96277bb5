"""Advantages of one iteration's samples, stage by stage (reference note §3.2-3.3).

Clue turns use role baselines (RAE, `role_ema`): one EMA per role, updated game by game before
subtracting, no group normalisation. Decision turns use a z-score within each vote group with the
population std. Both estimators run on every iteration, whichever stage trains, so the baselines
follow every game played (Algorithm 1 updates them after every game).
"""

from __future__ import annotations

from collections.abc import Sequence

from zeroplay.games.vision_zero.roles import (
    ROLE_CIVILIAN,
    ROLE_OBSERVER,
    ROLE_SPY,
    STAGE_CLUE,
    STAGE_DECISION,
)
from zeroplay.rl.advantages import AdvantageSpec, Gather, RoleBaseline, compute_advantages
from zeroplay.rl.samples import Sample

STAGES = (STAGE_CLUE, STAGE_DECISION)
# The roles that can appear on each stage's turns, in a fixed order (the cross-rank layout).
STAGE_ROLES = {
    STAGE_CLUE: (ROLE_CIVILIAN, ROLE_SPY),
    STAGE_DECISION: (ROLE_OBSERVER, ROLE_CIVILIAN),
}


def new_baselines(specs: dict[str, AdvantageSpec]) -> dict[str, RoleBaseline]:
    """A role baseline for every stage whose estimator keeps one."""
    return {
        stage: spec.new_baseline(STAGE_ROLES[stage])
        for stage, spec in specs.items()
        if spec.kind == "role_ema"
    }


def assign_advantages(
    samples: Sequence[Sample],
    specs: dict[str, AdvantageSpec],
    baselines: dict[str, RoleBaseline],
    gather: Gather | None = None,
) -> None:
    """Set `advantage` on every sample with its stage's estimator.

    Role baselines take the game (`Sample.episode`) as their update unit; group estimators take
    the sample's group (one per observer prompt or per voting civilian). `gather` collects the
    baselines' per-game statistics from every data-parallel rank, so all ranks apply the same
    per-game updates in the global game order (rank 0's games first): N ranks give the
    baselines one rank gives for the same games. Every rank must call this together.
    """
    for stage in STAGES:
        chosen = [s for s in samples if s.stage == stage]
        spec = specs[stage]
        groups = [s.episode if spec.kind == "role_ema" else s.group for s in chosen]
        values = compute_advantages(
            spec,
            [s.reward for s in chosen],
            groups=groups,
            roles=[s.role for s in chosen],
            baseline=baselines.get(stage),
            gather=gather if spec.kind == "role_ema" else None,
        )
        for sample, value in zip(chosen, values, strict=True):
            sample.advantage = value


def baseline_metrics(baselines: dict[str, RoleBaseline]) -> dict[str, float]:
    """`rae/<stage>/<role>`: the current baselines, for the per-step log."""
    return {
        f"rae/{stage}/{role}": value
        for stage, baseline in sorted(baselines.items())
        for role, value in baseline.baselines.items()
    }
