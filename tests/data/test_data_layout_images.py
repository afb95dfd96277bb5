"""Atomic writes, the folder manifest, and safe image opening."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from zeroplay.data.images import load_image_folder, open_image, read_image
from zeroplay.data.layout import (
    TEMP_TAG,
    pair_id,
    remove_temp_files,
    write_json_atomic,
    write_png_atomic,
)
from zeroplay.data.manifest import MANIFEST_NAME, ManifestMismatch, ensure_manifest, read_manifest


def png_bytes(size=(20, 10), color=(10, 200, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def test_pair_ids_sort_by_index():
    assert pair_id(7) == "000007" and pair_id(123456) == "123456"


def test_atomic_writes_leave_no_temporaries(tmp_path):
    write_json_atomic(tmp_path / "a.json", {"x": [1, 2]})
    write_png_atomic(tmp_path / "a.png", np.zeros((4, 5, 3), dtype=np.uint8))
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": [1, 2]}
    assert Image.open(tmp_path / "a.png").size == (5, 4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "a.png"]


def test_remove_temp_files(tmp_path):
    (tmp_path / f".000001_diff.json{TEMP_TAG}123").write_text("partial")
    (tmp_path / "keep.json").write_text("{}")
    assert remove_temp_files(tmp_path) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["keep.json"]


def test_manifest_created_checked_and_mismatch(tmp_path):
    ensure_manifest(tmp_path, "chart", {"seed": 1, "types": ("bar",)})
    ensure_manifest(tmp_path, "chart", {"seed": 1, "types": ["bar"]})  # same after JSON
    assert read_manifest(tmp_path)["domain"] == "chart"
    with pytest.raises(ManifestMismatch, match="seed"):
        ensure_manifest(tmp_path, "chart", {"seed": 2, "types": ["bar"]})
    with pytest.raises(ManifestMismatch, match="chart"):
        ensure_manifest(tmp_path, "clevr", {"seed": 1, "types": ["bar"]})
    (tmp_path / MANIFEST_NAME).write_text("not json")
    with pytest.raises(ManifestMismatch):
        ensure_manifest(tmp_path, "chart", {"seed": 1})


def test_broken_images_are_none(tmp_path):
    good = tmp_path / "good.png"
    good.write_bytes(png_bytes())
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(png_bytes((200, 200))[:-60])
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(buffer, format="JPEG")
    cut_jpeg = tmp_path / "cut.jpg"
    cut_jpeg.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    (tmp_path / "text.jpg").write_text("hello")
    assert open_image(good).size == (20, 10)
    assert open_image(truncated) is None
    assert open_image(cut_jpeg) is None
    assert open_image(tmp_path / "text.jpg") is None
    assert open_image(tmp_path / "missing.png") is None
    assert open_image(tmp_path) is None
    folder = load_image_folder(tmp_path)
    assert [p.name for p in folder.paths] == ["good.png"]
    assert sorted(s.path.name for s in folder.skipped) == ["cut.jpg", "text.jpg", "truncated.png"]
    assert folder.summary() == "1 images, 3 skipped"


def test_image_folder_is_recursive_and_skips_hidden(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.png").write_bytes(png_bytes())
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.png").write_bytes(png_bytes())
    (tmp_path / "notes.txt").write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in load_image_folder(tmp_path).paths] == [
        "sub/b.png"
    ]
    with pytest.raises(FileNotFoundError):
        load_image_folder(tmp_path / "nope")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_read_image_never_raises(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "x.png"
    path.write_bytes(png_bytes()[:8] + data)
    image, reason = read_image(path)
    assert (image is None) != (reason is None)
