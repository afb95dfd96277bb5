"""Draw a chart spec with matplotlib's Agg canvas (no pyplot, no global state).

Layout is fixed by the spec (axes rectangle, legend outside the plot on the right, title at a
fixed offset), which keeps drawing fast (no tight-layout passes) and means an edit moves only
the marks it changes.
"""

from __future__ import annotations

import numpy as np

from zeroplay.data.charts.spec import ChartSpec

TICK_FONT = 8
LABEL_FONT = 9
TITLE_FONT = 11


def _axes_rect(spec: ChartSpec, rotated: bool) -> list[float]:
    right = 0.74 if spec.legend else 0.96
    bottom = 0.24 if rotated else 0.15
    left = 0.04 if spec.chart_type == "pie" else 0.14
    return [left, bottom, right - left, 0.87 - bottom]


def draw_chart(spec: ChartSpec) -> np.ndarray:
    """Render `spec` to an (height, width, 3) uint8 RGB array."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(spec.width / spec.dpi, spec.height / spec.dpi), dpi=spec.dpi)
    canvas = FigureCanvasAgg(figure)
    rotated = spec.chart_type != "pie" and any(len(c) > 6 for c in spec.categories)
    axes = figure.add_axes(_axes_rect(spec, rotated))
    # A fixed title position skips matplotlib's automatic title placement pass.
    axes.set_title(spec.title, fontsize=TITLE_FONT, y=1.0, pad=8)
    number = f"%.{spec.decimals}f"
    if spec.chart_type == "pie":
        values = spec.series[0].values
        wedges, _, _ = axes.pie(
            values,
            labels=None if spec.legend else list(spec.categories),
            colors=list(spec.category_colors),
            autopct=f"%.{max(spec.decimals, 0)}f%%",
            startangle=90,
            counterclock=False,
            textprops={"fontsize": TICK_FONT},
            wedgeprops={"linewidth": 0.8, "edgecolor": "white"},
        )
        axes.set_aspect("equal")
        if spec.legend:
            axes.legend(wedges, list(spec.categories), **_legend_style())
    else:
        positions = np.arange(len(spec.categories))
        count = len(spec.series)
        for index, series in enumerate(spec.series):
            if spec.chart_type in ("bar", "grouped_bar"):
                width = 0.8 / count
                offsets = positions - 0.4 + width * (index + 0.5)
                bars = axes.bar(
                    offsets, series.values, width, color=series.color, label=series.name
                )
                if spec.show_values:
                    axes.bar_label(bars, fmt=number, fontsize=TICK_FONT - 1, padding=2)
            elif spec.chart_type == "line":
                axes.plot(
                    positions,
                    series.values,
                    marker="o",
                    markersize=4,
                    color=series.color,
                    label=series.name,
                )
            else:  # scatter
                axes.scatter(series.x, series.values, s=18, color=series.color, label=series.name)
        if spec.chart_type != "scatter":
            axes.set_xticks(positions, list(spec.categories), fontsize=TICK_FONT)
            if rotated:
                for label in axes.get_xticklabels():
                    label.set_rotation(30)
                    label.set_horizontalalignment("right")
            axes.set_xlim(-0.6, len(spec.categories) - 0.4)
        else:
            assert spec.x_limits is not None
            axes.set_xlim(*spec.x_limits)
            axes.tick_params(axis="x", labelsize=TICK_FONT)
        assert spec.value_limits is not None
        axes.set_ylim(*spec.value_limits)
        axes.tick_params(axis="y", labelsize=TICK_FONT)
        axes.set_xlabel(spec.x_label, fontsize=LABEL_FONT)
        axes.set_ylabel(spec.y_label, fontsize=LABEL_FONT)
        axes.spines[["top", "right"]].set_visible(False)
        if spec.legend:
            axes.legend(**_legend_style())
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def _legend_style() -> dict[str, object]:
    return {
        "loc": "upper left",
        "bbox_to_anchor": (1.02, 1.0),
        "frameon": False,
        "fontsize": TICK_FONT,
    }
