"""MM-Zero: the eight co-evolution panels of reference/mm_zero.md §8, one figure over iterations.

Per iteration the metrics are read from `data/iter_N/coevolution.json` (the recipe writes the
output of `games.mm_zero.metrics.coevolution_metrics` there), or else recomputed with that same
function from the run's rollout records of the iteration. A panel without data says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from zeroplay.games.mm_zero.metrics import coevolution_metrics
from zeroplay.report.figures import Plot, line_plot, new_figure, to_png
from zeroplay.report.mm_zero_files import read_coevolution_files
from zeroplay.report.record_kinds import record_kind
from zeroplay.report.run_files import RolloutRecord
from zeroplay.report.series import matching_series, number

FUNNEL = ("proposals", "valid_proposals", "sent_to_codegen", "rendered", "evaluated", "kept")


def coevolution_from_rollouts(rollouts: Sequence[RolloutRecord]) -> dict[int, dict[str, Any]]:
    """iteration -> `coevolution_metrics` of that iteration's Solver-phase proposals and
    labelling records (and the CodeGen phase's render filter)."""
    grouped: dict[int, dict[str, list[dict[str, Any]]]] = {}
    for record in rollouts:
        kind = record_kind(record.data)
        if kind not in ("mz_generated", "mz_label", "mz_render_filter"):
            continue
        if kind == "mz_generated" and "codegen" in str(record.data.get("phase", "")):
            continue  # the CodeGen phase's proposals are not the Solver data's
        bucket = grouped.setdefault(record.iteration or 0, {})
        bucket.setdefault(kind, []).append(record.data)
    out = {}
    for iteration, kinds in grouped.items():
        if "mz_label" not in kinds:
            continue
        out[iteration] = coevolution_metrics(
            proposals=kinds.get("mz_generated", []),
            labelling=kinds["mz_label"],
            render_filter=kinds.get("mz_render_filter"),
        )
    return out


def _no_data(axes: Axes, title: str) -> None:
    axes.set_title(title, fontsize=10)
    axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes, color="grey")
    axes.set_xticks([])
    axes.set_yticks([])


def _lines(
    axes: Axes,
    title: str,
    iterations: list[int],
    metrics: Mapping[int, Mapping[str, Any]],
    keys: Sequence[tuple[str, str]],
    percent: bool = False,
) -> None:
    drawn = False
    for key, label in keys:
        points = [(i, v) for i in iterations if (v := number(metrics[i].get(key))) is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            ys = tuple(100 * y for y in ys) if percent else ys
            axes.plot(xs, ys, marker="o", label=label)
            drawn = True
    if not drawn:
        _no_data(axes, title)
        return
    axes.set_title(title, fontsize=10)
    axes.set_xticks(iterations)
    axes.set_xticklabels([f"v{i}" for i in iterations])
    axes.grid(True, alpha=0.3)
    if len(keys) > 1:
        axes.legend(fontsize=7)


def _box(axes: Axes, iterations: list[int], metrics: Mapping[int, Mapping[str, Any]]) -> None:
    title = "4. Hard-consistency distribution"
    stats, positions = [], []
    for i in iterations:
        dist = metrics[i].get("hard_consistency")
        if not isinstance(dist, Mapping):
            continue
        values = [number(dist.get(k)) for k in ("min", "q1", "median", "q3", "max")]
        if any(v is None for v in values):
            continue
        lo, q1, med, q3, hi = values
        stats.append({"whislo": lo, "q1": q1, "med": med, "q3": q3, "whishi": hi, "fliers": []})
        positions.append(i)
    if not stats:
        _no_data(axes, title)
        return
    axes.bxp(stats, positions=positions, showfliers=False)
    axes.axhline(0.5, color="red", linestyle="--", linewidth=1)
    axes.set_title(title, fontsize=10)
    axes.set_xticks(positions)
    axes.set_xticklabels([f"v{i}" for i in positions])
    axes.set_ylim(-0.02, 1.02)


def _content(axes: Axes, iterations: list[int], metrics: Mapping[int, Mapping[str, Any]]) -> None:
    title = "5. Content type and diversity"
    shares = {i: metrics[i].get("content_types") for i in iterations}
    shares = {i: s for i, s in shares.items() if isinstance(s, Mapping) and s}
    if not shares:
        _no_data(axes, title)
        return
    kinds = sorted({k for s in shares.values() for k in s})
    xs = sorted(shares)
    bottom = np.zeros(len(xs))
    for kind in kinds:
        heights = np.array([number(shares[i].get(kind)) or 0.0 for i in xs])
        axes.bar(xs, heights, 0.6, bottom=bottom, label=kind)
        bottom += heights
    entropy = [
        (i, v) for i in xs if (v := number(metrics[i].get("content_type_entropy"))) is not None
    ]
    if entropy:
        twin = axes.twinx()
        twin.plot(*zip(*entropy, strict=True), color="black", marker="s", label="diversity")
        twin.set_ylim(0, 1.05)
        twin.set_ylabel("H / ln K", fontsize=8)
    axes.set_title(title, fontsize=10)
    axes.set_xticks(xs)
    axes.set_xticklabels([f"v{i}" for i in xs])
    axes.set_ylim(0, 1.05)
    axes.legend(fontsize=6, loc="lower left")


def _bars(
    axes: Axes,
    title: str,
    iterations: list[int],
    metrics: Mapping[int, Mapping[str, Any]],
    keys: Sequence[str],
    nested: str | None = None,
) -> None:
    def value(i: int, key: str) -> float | None:
        source = metrics[i].get(nested) if nested else metrics[i]
        return number(source.get(key)) if isinstance(source, Mapping) else None

    present = [k for k in keys if any(value(i, k) is not None for i in iterations)]
    if not present:
        _no_data(axes, title)
        return
    width = 0.8 / len(present)
    positions = np.arange(len(iterations))
    for k, key in enumerate(present):
        heights = [value(i, key) or 0.0 for i in iterations]
        axes.bar(positions + k * width, heights, width, label=key)
    axes.set_xticks(positions + width * (len(present) - 1) / 2)
    axes.set_xticklabels([f"v{i}" for i in iterations])
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=6)


def coevolution_plot(metrics: Mapping[int, Mapping[str, Any]]) -> Plot | None:
    """The eight panels in one 2 x 4 figure; None when no iteration has metrics."""
    if not metrics:
        return None
    iterations = sorted(metrics)
    figure = new_figure(16.0, 7.2)
    grid = figure.subplots(2, 4)
    _lines(
        grid[0][0],
        "1. Difficulty and solvability",
        iterations,
        metrics,
        [("difficulty", "difficulty 1-|2c-1|"), ("solvability", "solvability (easy c)")],
    )
    _lines(
        grid[0][1], "2. Render success rate (%)", iterations, metrics, [("render_rate", "")], True
    )
    _lines(grid[0][2], "3. Easy-hard gap", iterations, metrics, [("easy_hard_gap", "")])
    _box(grid[0][3], iterations, metrics)
    _content(grid[1][0], iterations, metrics)
    _bars(grid[1][1], "6. Pipeline funnel", iterations, metrics, FUNNEL, nested="funnel")
    _lines(grid[1][2], "7. Average SVG length (chars)", iterations, metrics, [("svg_length", "")])
    _bars(
        grid[1][3],
        "8. Training data volume",
        iterations,
        metrics,
        ("codegen_training_size", "solver_training_size"),
    )
    figure.tight_layout()
    caption = (
        "Per iteration (v1 = after the first iteration's Proposer and CodeGen, measured by the "
        "Solver that starts the Solver phase): difficulty = mean(1-|2c-1|) of hard-question "
        "consistency c, solvability = mean easy consistency, render rate = rendered items with "
        "a hard question / proposals sent to the CodeGen, diversity = H/ln K of content types."
    )
    return Plot("mm_zero_coevolution", "MM-Zero co-evolution", to_png(figure), caption, wide=True)


# role -> the reward terms its step records log as `reward/<key>` (games.mm_zero.metrics).
ROLE_TERMS = {
    "proposer": "reward|valid_rate|render_rate|avg_solvability|avg_difficulty|"
    "easy_hard_penalty|text_diversity_penalty|content_type_penalty",
    "codegen": "reward|renderability|type_compliant|solvability|difficulty",
    "solver": "reward|accuracy|format",
}


def role_term_plots(steps: Sequence[Mapping[str, Any]]) -> list[Plot]:
    """Per role, its reward terms over the global step (only that role's training steps)."""
    plots = []
    for role, terms in ROLE_TERMS.items():
        records = [r for r in steps if r.get("stage") == role]
        plot = line_plot(
            f"mm_zero_{role}_terms",
            f"{role.capitalize()} reward terms",
            matching_series(records, rf"^reward/({terms})$"),
            "batch mean",
        )
        if plot is not None:
            plots.append(plot)
    return plots


def mm_zero_plots(
    root: Path,
    steps: Sequence[Mapping[str, Any]],
    records: Sequence[RolloutRecord],
    problems: list[str],
) -> tuple[list[Plot], dict[int, dict[str, Any]]]:
    """The co-evolution figure, each role's reward terms, and the per-iteration metrics."""
    metrics = read_coevolution_files(root, problems)
    if not metrics:
        metrics = coevolution_from_rollouts(records)
    plot = coevolution_plot(metrics)
    return ([plot] if plot is not None else []) + role_term_plots(steps), metrics
