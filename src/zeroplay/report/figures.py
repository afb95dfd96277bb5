"""Matplotlib plumbing: figures drawn off-screen (Agg, no pyplot state) and saved as PNG.

Every panel of the report is a `Plot` (PNG bytes plus a name), so the same image goes into
`report.html` and into `RUN_DIR/plots/NAME.png` for papers.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from zeroplay.report.series import Series

DPI = 110
# Draw markers on lines with at most this many points (short runs are then still readable).
MARKER_POINTS = 40


@dataclass(frozen=True)
class Plot:
    name: str  # file stem under plots/, unique within a report
    title: str
    png: bytes
    caption: str = ""
    wide: bool = False  # spans the whole width of the page (multi-panel figures)


def new_figure(width: float = 6.4, height: float = 3.6) -> Figure:
    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def to_png(figure: Figure) -> bytes:
    """PNG bytes without a timestamp or version in the metadata (same data, same file)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def style_axes(
    axes: Axes, title: str, ylabel: str, xlabel: str = "optimizer step", counted_x: bool = True
) -> None:
    """Title, labels and grid; `counted_x` puts ticks on whole numbers (steps, iterations)
    and must be False on axes with categorical ticks of their own."""
    axes.set_title(title, fontsize=11)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    if counted_x:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(True, alpha=0.3)


def draw_lines(axes: Axes, series: Sequence[Series]) -> None:
    """One line per series; a legend when there is more than one (outside when crowded)."""
    for s in series:
        marker = "o" if len(s.values) <= MARKER_POINTS else None
        axes.plot(s.steps, s.values, label=s.label, marker=marker, markersize=3, linewidth=1.4)
    if len(series) > 1:
        if len(series) > 6:
            axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        else:
            axes.legend(fontsize=8)


def line_plot(
    name: str,
    title: str,
    series: Sequence[Series],
    ylabel: str,
    *,
    caption: str = "",
    xlabel: str = "optimizer step",
    hlines: Sequence[tuple[float, str]] = (),
) -> Plot | None:
    """A line chart of `series`, or None when there is nothing to draw."""
    if not series:
        return None
    figure = new_figure()
    axes = figure.add_subplot()
    draw_lines(axes, series)
    for y, label in hlines:
        axes.axhline(y, color="grey", linestyle="--", linewidth=1)
        axes.annotate(label, (0.01, y), xycoords=("axes fraction", "data"), fontsize=7)
    style_axes(axes, title, ylabel, xlabel)
    return Plot(name, title, to_png(figure), caption)
