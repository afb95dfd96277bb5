"""A chart spec in words: the drawing specification an MM-Zero Proposer writes for a chart.

Used where a chart has to be described as a proposal: the MM-Zero proof's held-out proposals
for the CodeGen (written from held-out chart specs), and the toy's warm-start proposals.
"""

from __future__ import annotations

from zeroplay.data.charts.spec import ChartSpec


def _number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def chart_caption(spec: ChartSpec) -> str:
    """A drawing specification of `spec` in words: type, title, axes, and every value."""
    kind = spec.chart_type.replace("_", " ")
    parts = [f'A {kind} chart titled "{spec.title}".']
    if spec.chart_type == "pie":
        slices = ", ".join(
            f"{c} {_number(v, spec.decimals)} ({color})"
            for c, v, color in zip(
                spec.categories,
                spec.series[0].values,
                spec.category_color_names,
                strict=False,
            )
        )
        parts.append(f"Slices: {slices}.")
        return " ".join(parts)
    parts.append(f'The x axis is "{spec.x_label}" and the y axis "{spec.y_label}".')
    for series in spec.series:
        if series.x is not None:  # a scatter: (x, y) points
            points = ", ".join(
                f"({_number(x, spec.decimals)}, {_number(y, spec.decimals)})"
                for x, y in zip(series.x, series.values, strict=True)
            )
            parts.append(f"Series {series.name} ({series.color_name}): points {points}.")
            continue
        values = ", ".join(
            f"{c} {_number(v, spec.decimals)}"
            for c, v in zip(spec.categories, series.values, strict=True)
        )
        parts.append(f"Series {series.name} ({series.color_name}): {values}.")
    return " ".join(parts)
