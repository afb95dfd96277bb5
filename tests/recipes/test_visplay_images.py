"""VisPlay's image sources: pixel-area window, folders, dataset cells, generated charts."""

from __future__ import annotations

import base64
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from zeroplay.recipes.config_io import ConfigError
from zeroplay.recipes.visplay.config import DataSection
from zeroplay.recipes.visplay.images import (
    DatasetImages,
    FolderImages,
    decode_cell,
    fit_pixel_window,
    generate_chart_images,
    load_hf_images,
    load_images,
    open_user_images,
)


def png_bytes(size=(8, 6), colour="red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("size", "window", "expected"),
    [
        # 400 x 300 = 120000 > 30000: factor sqrt(30000 / 120000) = 0.5
        ((400, 300), (100, 30000), (200, 150)),
        # 20 x 10 = 200 < 800: factor sqrt(800 / 200) = 2
        ((20, 10), (800, 10000), (40, 20)),
        # inside the window: unchanged
        ((50, 40), (100, 5000), (50, 40)),
        # 224 x 224 = 50176 < 512^2: factor 512 / 224, upscaled to 512 x 512 (note §5)
        ((224, 224), (512 * 512, 2048 * 2048), (512, 512)),
        # 3000 x 1000 = 3e6 > 1e6: factor sqrt(1 / 3) = 0.57735...: 1732.05 -> 1732, 577.35 -> 577
        ((3000, 1000), (1, 1_000_000), (1732, 577)),
    ],
)
def test_fit_pixel_window(size, window, expected):
    image = Image.new("L", size, 128)
    fitted = fit_pixel_window(image, *window)
    assert fitted.size == expected and fitted.mode == "RGB"


def test_decode_cell_formats():
    raw = png_bytes()
    as_b64 = base64.b64encode(raw).decode()
    pil = Image.new("RGB", (3, 3))
    for cell in (raw, {"bytes": raw}, as_b64, f"data:image/png;base64,{as_b64}", [raw]):
        image = decode_cell(cell)
        assert image is not None and image.size == (8, 6)
    assert decode_cell(pil) is pil and decode_cell([pil]) is pil
    for cell in (None, 3, [raw, raw], [], b"not an image", "not base64 !", {"path": "x"}):
        assert decode_cell(cell) is None


@given(st.one_of(st.text(), st.binary(), st.lists(st.binary(), max_size=2)))
def test_decode_cell_never_raises(cell):
    assert decode_cell(cell) is None or isinstance(decode_cell(cell), Image.Image)


def test_folder_images_ids_and_broken_files(tmp_path):
    (tmp_path / "sub").mkdir()
    Image.new("RGB", (300, 200), "blue").save(tmp_path / "sub" / "b.png")
    Image.new("RGB", (10, 10), "red").save(tmp_path / "a.jpg")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\ntruncated")
    (tmp_path / "notes.txt").write_text("not an image")
    source = FolderImages(tmp_path, min_pixels=400, max_pixels=15000)
    assert source.ids == ["a.jpg", "broken.png", "sub/b.png"]
    loaded, unreadable = load_images(source, source.ids)
    assert [i for i, _ in loaded] == ["a.jpg", "sub/b.png"] and unreadable == 1
    sizes = dict((i, im.size) for i, im in loaded)
    assert sizes == {"a.jpg": (20, 20), "sub/b.png": (150, 100)}


def test_user_folder_errors(tmp_path):
    assert open_user_images(DataSection()) is None  # generated charts
    with pytest.raises(ConfigError, match="is not a folder"):
        open_user_images(DataSection(path=str(tmp_path / "missing")))
    with pytest.raises(ConfigError, match="no image files"):
        open_user_images(DataSection(path=str(tmp_path)))


def test_generated_charts_are_deterministic_and_kept(tmp_path):
    generate_chart_images(tmp_path / "a", 2, seed=5, width=160, height=120)
    generate_chart_images(tmp_path / "b", 2, seed=5, width=160, height=120)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["chart_000000.png", "chart_000001.png"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    stamp = (tmp_path / "a" / names[0]).stat().st_mtime_ns
    generate_chart_images(tmp_path / "a", 3, seed=5, width=160, height=120)
    assert (tmp_path / "a" / names[0]).stat().st_mtime_ns == stamp
    assert len(list((tmp_path / "a").iterdir())) == 3


def test_dataset_images_from_a_local_parquet_dataset(tmp_path):
    datasets = pytest.importorskip("datasets")
    rows = {
        "images": [png_bytes(), b"garbage", png_bytes((40, 40), "green")],
        "problem": ["", "", ""],
    }
    datasets.Dataset.from_dict(rows).to_parquet(str(tmp_path / "train.parquet"))
    data = DataSection(
        hf_dataset=str(tmp_path), hf_image_column="images", min_pixels=1, max_pixels=400
    )
    source = load_hf_images(data)
    assert isinstance(source, DatasetImages) and source.ids == ["0", "1", "2"]
    loaded, unreadable = load_images(source, source.ids)
    assert [i for i, _ in loaded] == ["0", "2"] and unreadable == 1
    assert dict(loaded)["2"].size == (20, 20)  # 1600 pixels scaled into 400
    with pytest.raises(ConfigError, match="no column 'image'"):
        load_hf_images(DataSection(hf_dataset=str(tmp_path)))
