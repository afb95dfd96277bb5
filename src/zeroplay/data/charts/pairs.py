"""Chart image pairs: draw a random spec, edit the spec, draw it again."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from zeroplay.data.charts.edits import (
    DEFAULT_CHART_EDITS,
    ChartEdit,
    apply_chart_edit,
    check_chart_edit,
)
from zeroplay.data.charts.render import draw_chart
from zeroplay.data.charts.spec import CHART_TYPES, ChartSpec, sample_spec
from zeroplay.data.layout import pair_id, pair_paths, write_json_atomic, write_png_atomic
from zeroplay.data.regions import difference_boxes
from zeroplay.data.runner import PairOutcome
from zeroplay.data.seeding import pair_rng

MAX_ATTEMPTS = 50


@dataclass(frozen=True)
class ChartPairConfig:
    """Settings of a chart pair run: chart types and edit kinds are drawn uniformly per pair."""

    seed: int = 0
    chart_types: tuple[str, ...] = CHART_TYPES
    edits: tuple[str, ...] = DEFAULT_CHART_EDITS
    width: int = 480
    height: int = 360
    dpi: int = 100

    def __post_init__(self) -> None:
        if not self.chart_types or not self.edits:
            raise ValueError("need at least one chart type and one edit kind")
        for chart_type in self.chart_types:
            if chart_type not in CHART_TYPES:
                raise ValueError(
                    f"unknown chart type {chart_type!r}; expected one of {CHART_TYPES}"
                )
        for kind in self.edits:
            check_chart_edit(kind)
        if self.width < 160 or self.height < 120:
            raise ValueError("charts need at least 160x120 pixels")


@dataclass(frozen=True)
class ChartPair:
    original: ChartSpec
    edit: ChartEdit
    original_image: np.ndarray
    modified_image: np.ndarray
    boxes: list[tuple[int, int, int, int]]


def make_chart_pair(config: ChartPairConfig, index: int) -> ChartPair:
    """Draw specs and edits from pair `index`'s stream until the edit visibly changes pixels."""
    rng = pair_rng(config.seed, index)
    for _ in range(MAX_ATTEMPTS):
        chart_type = config.chart_types[rng.integers(len(config.chart_types))]
        spec = sample_spec(rng, chart_type, config.width, config.height, config.dpi)
        # Try the requested kinds in a random order; some do not apply to every chart.
        edit = None
        for k in rng.permutation(len(config.edits)):
            edit = apply_chart_edit(spec, config.edits[int(k)], rng)
            if edit is not None:
                break
        if edit is None:
            continue
        original, modified = draw_chart(spec), draw_chart(edit.modified)
        boxes = difference_boxes(original, modified)
        if boxes:
            return ChartPair(spec, edit, original, modified, boxes)
    raise RuntimeError(
        f"no chart pair after {MAX_ATTEMPTS} attempts for chart types {config.chart_types} "
        f"and edits {config.edits}"
    )


def chart_diff_json(pair: ChartPair, pid: str) -> dict[str, Any]:
    spec = pair.original
    return {
        "id": pid,
        "domain": "chart",
        "edit": pair.edit.kind,
        "chart_type": spec.chart_type,
        "width": spec.width,
        "height": spec.height,
        "changes": [asdict(change) for change in pair.edit.changes],
        "boxes": [list(box) for box in pair.boxes],
    }


class ChartPairMaker:
    domain = "chart"

    def __init__(self, config: ChartPairConfig) -> None:
        self.config = config

    def settings(self) -> dict[str, Any]:
        return asdict(self.config)

    def start(self) -> None:
        # Import matplotlib once per process, before the first pair is timed.
        import matplotlib.backends.backend_agg  # noqa: F401

    def make(self, index: int, folder: Path) -> PairOutcome:
        pair = make_chart_pair(self.config, index)
        pid = pair_id(index)
        paths = pair_paths(folder, pid)
        write_png_atomic(paths.original, pair.original_image)
        write_png_atomic(paths.modified, pair.modified_image)
        write_json_atomic(paths.original_json, pair.original.to_json())
        write_json_atomic(paths.modified_json, pair.edit.modified.to_json())
        write_json_atomic(paths.diff, chart_diff_json(pair, pid))
        return PairOutcome(index, made=True, edit=pair.edit.kind)
