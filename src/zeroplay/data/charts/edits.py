"""Edits of a chart spec. Vision-Zero's chart pairs swap two attributes of the chart (paper
A.2.2); the swap kinds are the default, and single changes of a value, colour or label are
available too. Every edit is large enough to be visible (values move by a good share of the
axis), and each records the spec paths it changed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from zeroplay.data.charts.spec import ChartSpec, topic_of, with_series
from zeroplay.data.charts.vocab import PALETTE

CHART_EDITS: tuple[str, ...] = (
    "swap_values",
    "swap_colors",
    "swap_labels",
    "change_value",
    "change_color",
    "change_label",
)
DEFAULT_CHART_EDITS: tuple[str, ...] = ("swap_values", "swap_colors", "swap_labels")

SWAP_MIN_GAP = 0.15  # swapped values differ by at least this share of the value scale
CHANGE_MIN_GAP = 0.25  # a changed value moves by at least this share of the value scale


@dataclass(frozen=True)
class SpecChange:
    """One changed spec field, addressed like `series[0].values[3]` or `categories[2]`."""

    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ChartEdit:
    kind: str
    modified: ChartSpec
    changes: tuple[SpecChange, ...]


def check_chart_edit(kind: str) -> None:
    if kind not in CHART_EDITS:
        raise ValueError(f"unknown chart edit {kind!r}; expected one of {CHART_EDITS}")


def _scale(spec: ChartSpec) -> float:
    """The value span an edit is measured against: the axis height, or the largest slice."""
    if spec.value_limits is not None:
        return spec.value_limits[1] - spec.value_limits[0]
    return max(spec.series[0].values)


def _choose(rng: np.random.Generator, options: list[Any]) -> Any | None:
    return options[rng.integers(len(options))] if options else None


def _series_colors(spec: ChartSpec) -> list[tuple[str, str]]:
    """(hex, name) of each colour-carrying element: pie slices, or series."""
    if spec.chart_type == "pie":
        return list(zip(spec.category_colors, spec.category_color_names, strict=True))
    return [(s.color, s.color_name) for s in spec.series]


def _set_color(spec: ChartSpec, index: int, color: tuple[str, str]) -> ChartSpec:
    if spec.chart_type == "pie":
        hexes, names = list(spec.category_colors), list(spec.category_color_names)
        hexes[index], names[index] = color
        return replace(spec, category_colors=tuple(hexes), category_color_names=tuple(names))
    return with_series(spec, index, color=color[0], color_name=color[1])


def _color_path(spec: ChartSpec, index: int) -> str:
    return f"category_colors[{index}]" if spec.chart_type == "pie" else f"series[{index}].color"


def _set_value(spec: ChartSpec, series: int, index: int, value: float) -> ChartSpec:
    values = list(spec.series[series].values)
    values[index] = value
    return with_series(spec, series, values=tuple(values))


def _swap_values(spec: ChartSpec, rng: np.random.Generator) -> ChartEdit | None:
    gap = SWAP_MIN_GAP * _scale(spec)
    options = [
        (s, i, j)
        for s, series in enumerate(spec.series)
        for i in range(len(series.values))
        for j in range(i + 1, len(series.values))
        if abs(series.values[i] - series.values[j]) >= gap
    ]
    choice = _choose(rng, options)
    if choice is None:
        return None
    s, i, j = choice
    a, b = spec.series[s].values[i], spec.series[s].values[j]
    modified = _set_value(_set_value(spec, s, i, b), s, j, a)
    return ChartEdit(
        "swap_values",
        modified,
        (
            SpecChange(f"series[{s}].values[{i}]", a, b),
            SpecChange(f"series[{s}].values[{j}]", b, a),
        ),
    )


def _swap_colors(spec: ChartSpec, rng: np.random.Generator) -> ChartEdit | None:
    colors = _series_colors(spec)
    if len(colors) < 2:
        return None
    i, j = sorted(int(k) for k in rng.choice(len(colors), size=2, replace=False))
    modified = _set_color(_set_color(spec, i, colors[j]), j, colors[i])
    return ChartEdit(
        "swap_colors",
        modified,
        (
            SpecChange(_color_path(spec, i), colors[i][1], colors[j][1]),
            SpecChange(_color_path(spec, j), colors[j][1], colors[i][1]),
        ),
    )


def _swap_labels(spec: ChartSpec, rng: np.random.Generator) -> ChartEdit | None:
    if spec.categories and len(spec.categories) >= 2:
        i, j = sorted(int(k) for k in rng.choice(len(spec.categories), size=2, replace=False))
        labels = list(spec.categories)
        labels[i], labels[j] = labels[j], labels[i]
        return ChartEdit(
            "swap_labels",
            replace(spec, categories=tuple(labels)),
            (
                SpecChange(f"categories[{i}]", spec.categories[i], labels[i]),
                SpecChange(f"categories[{j}]", spec.categories[j], labels[j]),
            ),
        )
    if spec.legend and len(spec.series) >= 2:
        i, j = sorted(int(k) for k in rng.choice(len(spec.series), size=2, replace=False))
        a, b = spec.series[i].name, spec.series[j].name
        modified = with_series(with_series(spec, i, name=b), j, name=a)
        return ChartEdit(
            "swap_labels",
            modified,
            (SpecChange(f"series[{i}].name", a, b), SpecChange(f"series[{j}].name", b, a)),
        )
    return None


def _change_value(spec: ChartSpec, rng: np.random.Generator) -> ChartEdit | None:
    topic = topic_of(spec)
    scale = _scale(spec)
    low, high = topic.value_range if topic else (0.05 * scale, 0.9 * scale)
    s = int(rng.integers(len(spec.series)))
    i = int(rng.integers(len(spec.series[s].values)))
    old = spec.series[s].values[i]
    for _ in range(20):
        new = round(float(rng.uniform(low, high)), spec.decimals)
        if abs(new - old) >= CHANGE_MIN_GAP * scale:
            return ChartEdit(
                "change_value",
                _set_value(spec, s, i, float(new)),
                (SpecChange(f"series[{s}].values[{i}]", old, float(new)),),
            )
    return None


def _change_color(spec: ChartSpec, rng: np.random.Generator) -> ChartEdit | None:
    colors = _series_colors(spec)
    used = {name for _, name in colors}
    spare = [(hex_color, name) for name, hex_color in PALETTE.items() if name not in used]
    new = _choose(rng, spare)
    if new is None:
        return None
    i = int(rng.integers(len(colors)))
    return ChartEdit(
        "change_color",
        _set_color(spec, i, new),
        (SpecChange(_color_path(spec, i), colors[i][1], new[1]),),
    )


def _change_label(spec: ChartSpec, rng: np.random.Generator) -> ChartEdit | None:
    topic = topic_of(spec)
    if topic is None:
        return None
    if spec.categories:
        spare = [c for c in topic.categories if c not in spec.categories]
        new = _choose(rng, spare)
        if new is None:
            return None
        i = int(rng.integers(len(spec.categories)))
        labels = list(spec.categories)
        labels[i] = new
        return ChartEdit(
            "change_label",
            replace(spec, categories=tuple(labels)),
            (SpecChange(f"categories[{i}]", spec.categories[i], new),),
        )
    if spec.legend:
        spare = [n for n in topic.series if n not in {s.name for s in spec.series}]
        new = _choose(rng, spare)
        if new is None:
            return None
        i = int(rng.integers(len(spec.series)))
        return ChartEdit(
            "change_label",
            with_series(spec, i, name=new),
            (SpecChange(f"series[{i}].name", spec.series[i].name, new),),
        )
    return None


_EDITS = {
    "swap_values": _swap_values,
    "swap_colors": _swap_colors,
    "swap_labels": _swap_labels,
    "change_value": _change_value,
    "change_color": _change_color,
    "change_label": _change_label,
}


def apply_chart_edit(spec: ChartSpec, kind: str, rng: np.random.Generator) -> ChartEdit | None:
    """Apply edit `kind` to `spec`; None when the chart cannot take it (for example swapping
    colours of a one-series bar chart)."""
    check_chart_edit(kind)
    return _EDITS[kind](spec, rng)
