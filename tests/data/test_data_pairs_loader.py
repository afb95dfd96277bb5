"""load_pairs on our folders and on the public Vision-Zero layout; the contact sheet."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from zeroplay.data.layout import write_json_atomic
from zeroplay.data.manifest import ensure_manifest
from zeroplay.data.pairs import ImagePair, load_pairs
from zeroplay.data.show import contact_sheet, show_folder


def write_png(path, color=(0, 0, 0), size=(32, 24)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)


def test_vision_zero_layout_without_json(tmp_path):
    images = tmp_path / "output" / "replacement_images"
    write_png(images / "CLEVR_new_000001_original.png")
    write_png(images / "CLEVR_new_000001_modified.png", (9, 9, 9))
    write_png(images / "CLEVR_new_000002_original.png")  # no partner: not a pair
    (tmp_path / "output" / "replacement_scenes").mkdir()
    pairs = load_pairs(tmp_path)
    assert [p.id for p in pairs] == ["output/replacement_images/CLEVR_new_000001"]
    assert pairs[0].domain == "unknown" and pairs[0].diff is None and pairs[0].boxes == []
    assert load_pairs(tmp_path, domain="clevr")[0].domain == "clevr"


def test_partner_with_another_suffix_and_spec_domain(tmp_path):
    write_png(tmp_path / "a_original.png")
    Image.new("RGB", (8, 8)).save(tmp_path / "a_modified.jpg")
    (tmp_path / "a_original.json").write_text(json.dumps({"chart_type": "bar"}))
    (pair,) = load_pairs(tmp_path)
    assert pair.modified.name == "a_modified.jpg" and pair.domain == "chart"
    assert pair.original_json is not None and pair.modified_json is None


def test_generated_folder_needs_the_diff(tmp_path):
    ensure_manifest(tmp_path, "clevr", {"seed": 0})
    for pid in ("000000", "000001"):
        write_png(tmp_path / f"{pid}_original.png")
        write_png(tmp_path / f"{pid}_modified.png")
    write_json_atomic(
        tmp_path / "000000_diff.json",
        {"domain": "clevr", "edit": "color_shape", "boxes": [[1, 2, 10, 12]]},
    )
    (pair,) = load_pairs(tmp_path)  # 000001 is half written (no diff yet)
    assert pair.id == "000000" and pair.domain == "clevr"
    assert pair.edit == "color_shape" and pair.boxes == [(1, 2, 10, 12)]


@settings(max_examples=50, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
    )
)
def test_any_diff_json_is_safe(value):
    pair = ImagePair(
        "x", original=None, modified=None, domain="unknown", diff={"boxes": value, "edit": value}
    )
    assert isinstance(pair.boxes, list)
    assert pair.edit is None or isinstance(pair.edit, str)


def test_broken_diff_json_outside_our_folders(tmp_path):
    write_png(tmp_path / "p_original.png")
    write_png(tmp_path / "p_modified.png")
    (tmp_path / "p_diff.json").write_text("{not json")
    (pair,) = load_pairs(tmp_path)
    assert pair.diff is None and pair.domain == "unknown"


def test_show_folder_and_contact_sheet(tmp_path):
    ensure_manifest(tmp_path, "chart", {"seed": 0})
    for i, edit in enumerate(("swap_values", "swap_values", "swap_labels")):
        write_png(tmp_path / f"00000{i}_original.png", (255, 255, 255), (64, 48))
        write_png(tmp_path / f"00000{i}_modified.png", (250, 250, 250), (64, 48))
        write_json_atomic(
            tmp_path / f"00000{i}_diff.json",
            {"domain": "chart", "edit": edit, "boxes": [[4, 4, 20, 20]]},
        )
    summary, sheet = show_folder(tmp_path, count=2, size=64)
    assert summary.pairs == 3 and summary.domains == {"chart": 3}
    assert summary.edits == {"swap_values": 2, "swap_labels": 1} and summary.with_boxes == 3
    pixels = np.asarray(sheet)
    assert sheet.width == 2 * 64 + 12
    # The edited region is outlined in the outline colour.
    assert (np.abs(pixels.astype(int) - (255, 0, 64)).sum(axis=-1) == 0).any()
    assert contact_sheet(load_pairs(tmp_path)[:1], 64).height < sheet.height
