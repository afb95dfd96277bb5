"""Training curves every recipe shares: rewards by role and stage, KL, entropy, lengths, clipping.

Keys come from `rl.metrics.sample_metrics` (`role/R/reward_mean`, `stage/S/...`) and the
trainer's statistics (`kl_mean`, `entropy_mean`, `clip_frac_low`, ...), possibly behind a policy
or phase prefix. A panel whose keys never occur is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zeroplay.report.figures import Plot, line_plot
from zeroplay.report.series import PREFIX, matching_series


@dataclass(frozen=True)
class CurvePanel:
    name: str
    title: str
    pattern: str  # regular expression over metric keys; its groups name the lines
    ylabel: str
    caption: str = ""


CURVE_PANELS: tuple[CurvePanel, ...] = (
    CurvePanel(
        "reward_by_role",
        "Reward by role",
        PREFIX + r"role/([^/]+)/reward_mean$",
        "mean reward",
        "Mean reward of the trained samples of each role, per optimizer step.",
    ),
    CurvePanel(
        "reward_by_stage",
        "Reward by stage",
        PREFIX + r"stage/([^/]+)/reward_mean$",
        "mean reward",
        "Mean reward of the trained samples of each stage or phase.",
    ),
    CurvePanel(
        "advantage_by_role",
        "Advantage by role",
        PREFIX + r"role/([^/]+)/advantage_mean$",
        "mean advantage",
        "Mean advantage per role (near 0 for group-normalised estimators; role baselines "
        "show their bias here).",
    ),
    CurvePanel("kl", "KL to the reference policy", PREFIX + r"kl_mean$", "KL (per token)"),
    CurvePanel("entropy", "Policy entropy", PREFIX + r"entropy_mean$", "entropy (nats/token)"),
    CurvePanel(
        "completion_length",
        "Completion length by role",
        PREFIX + r"role/([^/]+)/completion_len$",
        "tokens",
    ),
    CurvePanel(
        "truncated", "Truncated completions", PREFIX + r"truncated_frac$", "fraction at the limit"
    ),
    CurvePanel(
        "clip_fractions",
        "Clip fractions",
        PREFIX + r"(clip_frac_low|clip_frac_high|dual_clip_frac)$",
        "fraction of tokens",
        "Share of tokens whose ratio was clipped below (1-eps_low), above (1+eps_high), or by "
        "the dual clip.",
    ),
    CurvePanel("loss", "Policy loss", PREFIX + r"(loss|pg_loss)$", "loss"),
    CurvePanel("grad_norm", "Gradient norm (before clipping)", PREFIX + r"grad_norm$", "L2 norm"),
    CurvePanel("learning_rate", "Learning rate", PREFIX + r"lr$", "lr"),
    CurvePanel(
        "throughput", "Generation throughput", PREFIX + r"tokens_per_s$", "tokens per second"
    ),
    CurvePanel(
        "step_time",
        "Time per step",
        PREFIX + r"(rollout_seconds|update_seconds)$",
        "seconds",
        "Wall time of rollout generation and of the optimizer update in each step.",
    ),
)


def training_plots(records: Sequence[Mapping[str, Any]]) -> list[Plot]:
    """The shared training panels that have data, in `CURVE_PANELS` order."""
    plots = []
    for panel in CURVE_PANELS:
        series = matching_series(records, panel.pattern, fallback=panel.name)
        plot = line_plot(
            f"training_{panel.name}", panel.title, series, panel.ylabel, caption=panel.caption
        )
        if plot is not None:
            plots.append(plot)
    return plots
