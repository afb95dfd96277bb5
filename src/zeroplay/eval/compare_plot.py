"""Bar chart of a comparison: one group of bars per benchmark (plus micro and macro), one bar per
model, accuracy in percent written above each bar."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zeroplay.data.layout import write_bytes_atomic
from zeroplay.eval.compare import Comparison


def plot_comparison(comparison: Comparison, path: Path) -> None:
    """Write the chart as PNG to `path` (matplotlib's Agg canvas; no display needed)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    groups = [*comparison.benchmarks, "micro", "macro"]
    models = comparison.models
    width = 0.8 / len(models)
    figure = Figure(figsize=(max(6.0, 1.1 * len(groups) * max(1, len(models)) ** 0.5 + 2), 4.2))
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.08, 0.2, 0.7, 0.68))
    positions = np.arange(len(groups))
    for index, model in enumerate(models):
        values = [comparison.accuracy(model, b) for b in comparison.benchmarks]
        values += [comparison.micro(model), comparison.macro(model)]
        heights = [100.0 * v if v is not None else 0.0 for v in values]
        offsets = positions - 0.4 + width * (index + 0.5)
        bars = axes.bar(offsets, heights, width, label=model)
        for bar, value in zip(bars, values, strict=True):
            text = f"{100 * value:.1f}" if value is not None else "n/a"
            axes.annotate(
                text,
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=7,
                xytext=(0, 2),
                textcoords="offset points",
            )
    # A dotted line separates the benchmarks from the two averages.
    axes.axvline(len(comparison.benchmarks) - 0.5, linestyle=":", color="gray", linewidth=1)
    axes.set_xticks(positions, groups, rotation=20, ha="right", fontsize=8)
    axes.set_ylim(0, 105)
    axes.set_ylabel(f"accuracy (%, {comparison.metric})")
    axes.set_title(f"baseline: {comparison.baseline}", fontsize=10)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, buffer.getvalue())
