"""Chart specs: every value drawn, with its labels and colours, as JSON-ready dataclasses.

The spec is the ground truth of a chart image: a chart is drawn from its spec and nothing else,
and an edited chart is the same drawing of an edited spec. Axis limits are part of the spec
(fixed from the topic's value range), so editing one value never rescales the axes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from zeroplay.data.charts.vocab import CATEGORY_TOPICS, PALETTE, SCATTER_TOPICS, Topic

CHART_TYPES: tuple[str, ...] = ("bar", "grouped_bar", "line", "pie", "scatter")


@dataclass(frozen=True)
class Series:
    """One data series. `values` align with the chart's categories (the y values of a scatter,
    whose x values are in `x`)."""

    name: str
    color: str
    color_name: str
    values: tuple[float, ...]
    x: tuple[float, ...] | None = None


@dataclass(frozen=True)
class ChartSpec:
    chart_type: str
    title: str
    x_label: str
    y_label: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    legend: bool
    show_values: bool
    decimals: int
    value_limits: tuple[float, float] | None  # y axis (None for pies)
    x_limits: tuple[float, float] | None = None  # scatter only
    # Pie only: one colour per slice (category); other charts colour by series.
    category_colors: tuple[str, ...] = ()
    category_color_names: tuple[str, ...] = ()
    width: int = 480
    height: int = 360
    dpi: int = 100

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChartSpec:
        series = tuple(
            Series(
                name=s["name"],
                color=s["color"],
                color_name=s["color_name"],
                values=tuple(s["values"]),
                x=tuple(s["x"]) if s.get("x") is not None else None,
            )
            for s in data["series"]
        )
        fields = {key: value for key, value in data.items() if key != "series"}
        for key in ("categories", "category_colors", "category_color_names"):
            fields[key] = tuple(fields.get(key, ()))
        for key in ("value_limits", "x_limits"):
            if fields.get(key) is not None:
                fields[key] = tuple(fields[key])
        return cls(series=series, **fields)


def _pick(rng: np.random.Generator, items: tuple[str, ...], count: int) -> tuple[str, ...]:
    return tuple(items[i] for i in rng.choice(len(items), size=count, replace=False))


def _categories(rng: np.random.Generator, topic: Topic, count: int) -> tuple[str, ...]:
    count = min(count, len(topic.categories))
    if topic.ordered:
        start = int(rng.integers(0, len(topic.categories) - count + 1))
        return topic.categories[start : start + count]
    return _pick(rng, topic.categories, count)


def _values(
    rng: np.random.Generator, low: float, high: float, count: int, decimals: int
) -> tuple[float, ...]:
    raw = rng.uniform(low, high, size=count)
    return tuple(round(float(v), decimals) if decimals else float(round(float(v))) for v in raw)


def _colors(rng: np.random.Generator, count: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names = _pick(rng, tuple(PALETTE), count)
    return tuple(PALETTE[name] for name in names), names


def nice_ceiling(value: float) -> float:
    """Round up to a readable axis end: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of
    ten (e.g. 107.8 -> 120, 242 -> 250)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if value <= step * magnitude:
            return step * magnitude
    return 10.0 * magnitude


def value_limits(topic: Topic) -> tuple[float, float]:
    """Axis from 0 to a round number above the topic's largest value (with headroom for the
    value labels)."""
    return 0.0, nice_ceiling(topic.value_range[1] * 1.1)


def sample_spec(
    rng: np.random.Generator, chart_type: str, width: int = 480, height: int = 360, dpi: int = 100
) -> ChartSpec:
    """A random chart of `chart_type` from the built-in topics."""
    if chart_type not in CHART_TYPES:
        raise ValueError(f"unknown chart type {chart_type!r}; expected one of {CHART_TYPES}")
    if chart_type == "scatter":
        topics = SCATTER_TOPICS
    elif chart_type == "line":
        topics = tuple(t for t in CATEGORY_TOPICS if t.ordered)
    elif chart_type == "pie":
        topics = tuple(t for t in CATEGORY_TOPICS if t.parts)
    else:
        topics = CATEGORY_TOPICS
    topic = topics[rng.integers(len(topics))]
    low, high = topic.value_range
    common = {
        "title": topic.title,
        "decimals": topic.decimals,
        "width": width,
        "height": height,
        "dpi": dpi,
    }
    if chart_type == "pie":
        categories = _categories(rng, topic, int(rng.integers(3, 7)))
        hexes, names = _colors(rng, len(categories))
        values = _values(rng, low, high, len(categories), topic.decimals)
        return ChartSpec(
            chart_type=chart_type,
            x_label="",
            y_label="",
            categories=categories,
            series=(Series(topic.y_label, "", "", values),),
            legend=bool(rng.integers(2)),
            show_values=True,
            value_limits=None,
            category_colors=hexes,
            category_color_names=names,
            **common,
        )
    if chart_type == "scatter":
        assert topic.x_range is not None
        n_series = int(rng.integers(1, 4))
        names = _pick(rng, topic.series, n_series)
        hexes, color_names = _colors(rng, n_series)
        points = int(rng.integers(8, 16))
        # y grows with x plus noise, so the cloud looks like a relation, not white noise.
        series = []
        for name, hex_color, color_name in zip(names, hexes, color_names, strict=True):
            x = _values(rng, *topic.x_range, points, 1)
            slope = (high - low) / (topic.x_range[1] - topic.x_range[0]) * rng.uniform(0.3, 0.8)
            base = rng.uniform(low, (low + high) / 2)
            ys = [
                min(
                    high,
                    max(
                        low,
                        base + slope * (xi - topic.x_range[0]) + rng.normal(0, (high - low) * 0.08),
                    ),
                )
                for xi in x
            ]
            y = tuple(round(v, topic.decimals) if topic.decimals else float(round(v)) for v in ys)
            series.append(Series(name, hex_color, color_name, y, x))
        return ChartSpec(
            chart_type=chart_type,
            x_label=topic.x_label,
            y_label=topic.y_label,
            categories=(),
            series=tuple(series),
            legend=n_series > 1,
            show_values=False,
            value_limits=value_limits(topic),
            x_limits=(float(topic.x_range[0]), float(topic.x_range[1])),
            **common,
        )
    if chart_type == "bar":
        n_series, n_categories = 1, int(rng.integers(3, 8))
    elif chart_type == "grouped_bar":
        n_series, n_categories = int(rng.integers(2, 4)), int(rng.integers(3, 6))
    else:  # line
        n_series, n_categories = int(rng.integers(1, 4)), int(rng.integers(4, 10))
    categories = _categories(rng, topic, n_categories)
    names = _pick(rng, topic.series, n_series)
    hexes, color_names = _colors(rng, n_series)
    series = tuple(
        Series(
            name, hex_color, color_name, _values(rng, low, high, len(categories), topic.decimals)
        )
        for name, hex_color, color_name in zip(names, hexes, color_names, strict=True)
    )
    return ChartSpec(
        chart_type=chart_type,
        x_label=topic.x_label,
        y_label=topic.y_label,
        categories=categories,
        series=series,
        legend=n_series > 1,
        show_values=chart_type == "bar" and bool(rng.integers(2)),
        value_limits=value_limits(topic),
        **common,
    )


def with_series(spec: ChartSpec, index: int, **changes: Any) -> ChartSpec:
    """Copy of `spec` with series `index` changed."""
    series = list(spec.series)
    series[index] = replace(series[index], **changes)
    return replace(spec, series=tuple(series))


def topic_of(spec: ChartSpec) -> Topic | None:
    """The built-in topic a spec was drawn from (titles are unique), if any."""
    for topic in CATEGORY_TOPICS + SCATTER_TOPICS:
        if topic.title == spec.title:
            return topic
    return None
