"""Chart specs, chart edits (the spec diff matches the edit) and chart pairs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from zeroplay.data.charts.edits import CHART_EDITS, apply_chart_edit
from zeroplay.data.charts.pairs import ChartPairConfig, ChartPairMaker, make_chart_pair
from zeroplay.data.charts.render import draw_chart
from zeroplay.data.charts.spec import CHART_TYPES, ChartSpec, nice_ceiling, sample_spec
from zeroplay.data.seeding import pair_rng


def flatten(value, prefix=""):
    """{"series[0].values[2]": 3.0, ...}: every leaf of a spec JSON by path."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else key))
        return out
    if isinstance(value, list | tuple):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


@pytest.mark.parametrize(
    ("value", "expected"),
    [(107.8, 120.0), (242.0, 250.0), (0.5, 0.5), (1.0, 1.0), (101.0, 120.0), (9.1, 10.0)],
)
def test_nice_ceiling(value, expected):
    assert nice_ceiling(value) == pytest.approx(expected)


@pytest.mark.parametrize("chart_type", CHART_TYPES)
def test_sampled_specs_are_consistent(chart_type):
    for seed in range(5):
        spec = sample_spec(np.random.default_rng(seed), chart_type)
        assert spec.chart_type == chart_type
        assert ChartSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec
        for series in spec.series:
            if chart_type == "scatter":
                assert series.x is not None and len(series.x) == len(series.values)
                lo, hi = spec.x_limits
                assert all(lo <= x <= hi for x in series.x)
            else:
                assert len(series.values) == len(spec.categories)
            if spec.value_limits:
                assert all(spec.value_limits[0] <= v <= spec.value_limits[1] for v in series.values)
        if chart_type == "pie":
            assert len(spec.category_colors) == len(spec.categories) == len(spec.series[0].values)


def _applicable(kind):
    """A (spec, edit) pair for `kind`, trying chart types and seeds until the edit applies."""
    for seed in range(40):
        for chart_type in CHART_TYPES:
            spec = sample_spec(np.random.default_rng(seed), chart_type)
            edit = apply_chart_edit(spec, kind, pair_rng(seed, 1))
            if edit is not None:
                yield spec, edit


@pytest.mark.parametrize("kind", CHART_EDITS)
def test_spec_diff_matches_the_recorded_changes(kind):
    for count, (spec, edit) in enumerate(_applicable(kind)):
        before, after = flatten(spec.to_json()), flatten(edit.modified.to_json())
        changed = {path for path in before if before[path] != after[path]}
        recorded = {change.path for change in edit.changes}
        # Colour changes are recorded per element; the spec stores a hex and a name for each.
        expanded = set()
        for path in recorded:
            if path.startswith("category_colors["):
                index = path[len("category_colors") :]
                expanded |= {path, f"category_color_names{index}"}
            elif path.endswith(".color"):
                expanded |= {path, path + "_name"}
            else:
                expanded.add(path)
        assert changed == expanded, (kind, spec.chart_type)
        if kind.startswith("swap"):
            assert len(edit.changes) == 2
            a, b = edit.changes
            assert (a.before, a.after) == (b.after, b.before)
        if count >= 4:
            break


def test_swap_values_moves_values_far_enough():
    for spec, edit in _applicable("swap_values"):
        a, b = edit.changes
        scale = spec.value_limits[1] if spec.value_limits else max(spec.series[0].values)
        assert abs(a.before - b.before) >= 0.15 * scale
        break


def test_colour_swap_needs_two_colours():
    spec = sample_spec(np.random.default_rng(0), "bar")
    assert len(spec.series) == 1
    assert apply_chart_edit(spec, "swap_colors", pair_rng(0, 0)) is None


def test_chart_pair_images_differ_inside_boxes():
    config = ChartPairConfig(chart_types=("bar", "pie", "line"))
    for index in range(3):
        pair = make_chart_pair(config, index)
        delta = np.abs(pair.original_image.astype(int) - pair.modified_image.astype(int)).max(-1)
        assert delta.max() > 0 and pair.boxes
        outside = np.ones(delta.shape, dtype=bool)
        for left, top, right, bottom in pair.boxes:
            outside[top:bottom, left:right] = False
        assert (delta[outside] > 16).sum() == 0


def test_drawing_is_deterministic():
    spec = sample_spec(np.random.default_rng(3), "grouped_bar")
    assert np.array_equal(draw_chart(spec), draw_chart(spec))
    assert draw_chart(spec).shape == (spec.height, spec.width, 3)


def test_chart_folder_files(tmp_path):
    maker = ChartPairMaker(ChartPairConfig(seed=5))
    maker.start()
    outcome = maker.make(0, tmp_path)
    assert outcome.made
    diff = json.loads((tmp_path / "000000_diff.json").read_text())
    spec = json.loads((tmp_path / "000000_original.json").read_text())
    assert diff["domain"] == "chart" and diff["edit"] in CHART_EDITS
    assert diff["chart_type"] == spec["chart_type"]
    modified = flatten(json.loads((tmp_path / "000000_modified.json").read_text()))
    for change in diff["changes"]:
        path = change["path"]  # colour changes record colour names
        if path.startswith("category_colors["):
            path = "category_color_names" + path[len("category_colors") :]
        elif path.endswith(".color"):
            path += "_name"
        assert modified[path] == change["after"]


def test_bad_chart_config_is_rejected():
    with pytest.raises(ValueError):
        ChartPairConfig(chart_types=("radar",))
    with pytest.raises(ValueError):
        ChartPairConfig(edits=("rotate",))
