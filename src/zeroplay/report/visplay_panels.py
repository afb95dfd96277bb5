"""VisPlay panels: confidence histograms, the kept fraction per iteration, the mix of question
types, and the reward terms of both roles.

Keys come from `games.visplay.metrics` behind the recipe's phase prefix: `questioner/...` on
questioner step records, `label/...` on the label phase's summary record, `reasoner/...` on
reasoner step records; every record carries its `iteration`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from zeroplay.report.figures import Plot, line_plot, new_figure, style_axes, to_png
from zeroplay.report.series import matching_series, number

_HIST = re.compile(r"^(?:(.*)/)?confidence_hist/(\d+)of(\d+)$")
_TYPES = re.compile(r"^(?:(.*)/)?(kept_type_frac|type_frac)/(.+)$")
_KEPT = re.compile(r"^(?:(label)/)?(kept_frac|valid_frac|agreement)$")


def _iteration(record: Mapping[str, Any]) -> int:
    value = number(record.get("iteration"))
    return int(value) if value is not None else 0


def _iteration_name(iteration: int) -> str:
    return f"iteration {iteration}" if iteration else "all"


def confidence_counts(
    records: Sequence[Mapping[str, Any]],
) -> dict[str, dict[int, dict[float, float]]]:
    """phase prefix -> iteration -> confidence k/m -> count, summed over the records."""
    out: dict[str, dict[int, dict[float, float]]] = {}
    for record in records:
        for key, raw in record.items():
            match = _HIST.match(key)
            value = number(raw)
            if not match or value is None or int(match.group(3)) == 0:
                continue
            confidence = int(match.group(2)) / int(match.group(3))
            cells = out.setdefault(match.group(1) or "all", {}).setdefault(_iteration(record), {})
            cells[confidence] = cells.get(confidence, 0.0) + value
    return out


def confidence_plot(records: Sequence[Mapping[str, Any]]) -> Plot | None:
    """One panel per phase; bars per iteration: share of valid questions at each confidence."""
    counts = confidence_counts(records)
    if not counts:
        return None
    figure = new_figure(4.2 * len(counts), 3.6)
    axes_list = figure.subplots(1, len(counts), squeeze=False)[0]
    for axes, (phase, by_iteration) in zip(axes_list, sorted(counts.items()), strict=True):
        levels = sorted({c for cells in by_iteration.values() for c in cells})
        width = 0.8 / max(1, len(by_iteration))
        positions = np.arange(len(levels))
        for k, (iteration, cells) in enumerate(sorted(by_iteration.items())):
            total = sum(cells.values()) or 1.0
            shares = [cells.get(c, 0.0) / total for c in levels]
            axes.bar(positions + k * width, shares, width, label=_iteration_name(iteration))
        axes.set_xticks(positions + width * (len(by_iteration) - 1) / 2)
        axes.set_xticklabels([f"{c:.2g}" for c in levels], fontsize=7)
        style_axes(axes, phase, "share of valid questions", "confidence (majority share)", False)
        axes.legend(fontsize=7)
    caption = (
        "Confidence c = majority count / samples of the Reasoner's answers to each generated "
        "question. The Questioner is paid most near c = 1/2; curation keeps a band of c."
    )
    return Plot("visplay_confidence", "Confidence histograms", to_png(figure), caption)


def per_iteration_values(
    records: Sequence[Mapping[str, Any]], regex: re.Pattern[str]
) -> dict[str, dict[int, float]]:
    """name (the key's captured parts) -> iteration -> mean of its values in that iteration."""
    sums: dict[str, dict[int, list[float]]] = {}
    for record in records:
        for key, raw in record.items():
            match = regex.match(key)
            value = number(raw)
            if not match or value is None:
                continue
            name = "/".join(p for p in match.groups() if p)
            sums.setdefault(name, {}).setdefault(_iteration(record), []).append(value)
    return {n: {i: sum(v) / len(v) for i, v in its.items()} for n, its in sums.items()}


def kept_plot(records: Sequence[Mapping[str, Any]]) -> Plot | None:
    """Grouped bars per iteration: kept fraction, valid fraction, silver-label agreement."""
    values = per_iteration_values(records, _KEPT)
    if not values:
        return None
    iterations = sorted({i for its in values.values() for i in its})
    figure = new_figure(6.4, 3.6)
    axes = figure.add_subplot()
    width = 0.8 / len(values)
    positions = np.arange(len(iterations))
    for k, (name, its) in enumerate(sorted(values.items())):
        heights = [its.get(i, 0.0) for i in iterations]
        axes.bar(positions + k * width, heights, width, label=name)
    axes.set_xticks(positions + width * (len(values) - 1) / 2)
    axes.set_xticklabels([_iteration_name(i) for i in iterations])
    axes.set_ylim(0, 1.05)
    axes.legend(fontsize=8)
    style_axes(axes, "Kept fraction per iteration", "fraction", "", False)
    caption = (
        "kept_frac: generated questions kept for Reasoner training; valid_frac: replies that "
        "parsed; agreement: the new Reasoner's labels on the previous kept set vs the old ones."
    )
    return Plot("visplay_kept_fraction", "Kept fraction per iteration", to_png(figure), caption)


def type_mix(records: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """bar name ("it 1 label generated") -> question type -> mean share."""
    sums: dict[tuple[int, str], dict[str, list[float]]] = {}
    for record in records:
        for key, raw in record.items():
            match = _TYPES.match(key)
            value = number(raw)
            if not match or value is None:
                continue
            phase = match.group(1) or ""
            which = "kept" if match.group(2) == "kept_type_frac" else "generated"
            bar = (_iteration(record), f"{phase} {which}".strip())
            sums.setdefault(bar, {}).setdefault(match.group(3), []).append(value)
    out = {}
    for (iteration, name), types in sorted(sums.items()):
        label = f"it {iteration}\n{name}" if iteration else name
        out[label] = {t: sum(v) / len(v) for t, v in types.items()}
    return out


def type_plot(records: Sequence[Mapping[str, Any]]) -> Plot | None:
    """Stacked bars: the share of each question type, generated vs kept, per iteration."""
    mix = type_mix(records)
    if not mix:
        return None
    types = sorted({t for shares in mix.values() for t in shares})
    figure = new_figure(max(5.0, 1.0 + 0.9 * len(mix)), 3.8)
    axes = figure.add_subplot()
    bottoms = np.zeros(len(mix))
    for qtype in types:
        heights = np.array([shares.get(qtype, 0.0) for shares in mix.values()])
        axes.bar(range(len(mix)), heights, 0.7, bottom=bottoms, label=qtype)
        bottoms += heights
    axes.set_xticks(range(len(mix)))
    axes.set_xticklabels(list(mix), fontsize=7)
    axes.set_ylim(0, 1.05)
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    style_axes(axes, "Question types", "share of valid questions", "", False)
    return Plot("visplay_question_types", "Question types", to_png(figure))


def visplay_plots(
    steps: Sequence[Mapping[str, Any]], summaries: Sequence[Mapping[str, Any]]
) -> list[Plot]:
    everything = [*steps, *summaries]
    plots = [
        confidence_plot(everything),
        kept_plot(summaries or steps),
        type_plot(everything),
        line_plot(
            "visplay_questioner_terms",
            "Questioner reward terms",
            matching_series(
                steps,
                r"^(questioner)/(reward_mean|uncertainty_mean|penalty_mean|valid_frac)$",
            ),
            "value",
            caption="reward = uncertainty reward − diversity penalty for valid questions.",
        ),
        line_plot(
            "visplay_reasoner_terms",
            "Reasoner against the silver labels",
            matching_series(
                steps,
                r"^(reasoner)/(accuracy_mean|boxed_frac|think_format_frac|"
                r"zero_variance_group_frac)$",
            ),
            "fraction",
            caption="zero_variance_group_frac: questions whose samples all got the same reward "
            "(they give GRPO no signal).",
        ),
    ]
    return [p for p in plots if p is not None]
