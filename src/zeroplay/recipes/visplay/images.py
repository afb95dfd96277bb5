"""The VisPlay recipe's images: a folder, a Hugging Face dataset, or generated charts.

Images are named by stable ids (a folder's relative path, a dataset's row number) so that
questions, labels and the kept set can refer to them across phases and resumes. Each is opened
lazily, converted to RGB and resized into a pixel-area window (note §5). An image that cannot
be decoded is data, not an error: `load` returns None and the caller leaves it out.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

from zeroplay.data.images import image_files, read_image
from zeroplay.recipes.config_io import ConfigError
from zeroplay.recipes.visplay.config import DataSection


def fit_pixel_window(image: Image.Image, min_pixels: int, max_pixels: int) -> Image.Image:
    """`image` in RGB, scaled (aspect kept) so that width * height lies in the window.

    As the released code does (verl/utils/dataset.py, note §5): a side is scaled by
    sqrt(limit / area) and truncated to an int, so the area may end a little inside the window.
    """
    image = image.convert("RGB")
    area = image.width * image.height
    if area > max_pixels:
        factor = math.sqrt(max_pixels / area)
    elif area < min_pixels:
        factor = math.sqrt(min_pixels / area)
    else:
        return image
    size = (max(1, int(image.width * factor)), max(1, int(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


class ImageSource(Protocol):
    """Named images: `ids` in a fixed order, `load(id)` an RGB image in the window or None."""

    ids: list[str]

    def load(self, image_id: str) -> Image.Image | None: ...


class FolderImages:
    """Every image file under a folder (recursively, sorted); ids are relative paths."""

    def __init__(self, root: Path, min_pixels: int, max_pixels: int):
        self.root = Path(root)
        self.min_pixels, self.max_pixels = min_pixels, max_pixels
        self.ids = [p.relative_to(self.root).as_posix() for p in image_files(self.root)]

    def load(self, image_id: str) -> Image.Image | None:
        image, _ = read_image(self.root / image_id)
        return None if image is None else fit_pixel_window(image, self.min_pixels, self.max_pixels)


def decode_cell(value: Any) -> Image.Image | None:
    """An image from a dataset cell: a PIL image, `{"bytes": ...}`, raw bytes, a base64 string
    (with or without a `data:` prefix) or a one-element list of those; None for anything else
    (multi-image rows included, as the code filters them out)."""
    if isinstance(value, list | tuple):
        return decode_cell(value[0]) if len(value) == 1 else None
    if isinstance(value, Image.Image):
        return value
    if isinstance(value, dict):
        return decode_cell(value.get("bytes"))
    if isinstance(value, str):
        payload = value.split(",", 1)[1] if value.startswith("data:") else value
        try:
            value = base64.b64decode(payload, validate=True)
        except ValueError:
            return None
    if isinstance(value, bytes | bytearray):
        try:
            with Image.open(io.BytesIO(value)) as handle:
                handle.load()
                return handle.copy()
        except Exception:  # undecodable bytes are skipped, never fatal
            return None
    return None


class DatasetImages:
    """One column of a Hugging Face dataset split; ids are row numbers."""

    def __init__(self, dataset: Any, column: str, min_pixels: int, max_pixels: int):
        self.dataset = dataset
        self.column = column
        self.min_pixels, self.max_pixels = min_pixels, max_pixels
        self.ids = [str(i) for i in range(len(dataset))]

    def load(self, image_id: str) -> Image.Image | None:
        try:
            image = decode_cell(self.dataset[int(image_id)][self.column])
            if image is not None:
                image.load()
        except Exception:  # a broken row is skipped like a broken file
            return None
        return None if image is None else fit_pixel_window(image, self.min_pixels, self.max_pixels)


def load_hf_images(data: DataSection) -> DatasetImages:
    """The dataset the user named (downloaded by `datasets` on first use, then cached)."""
    try:
        import datasets
    except ImportError:
        raise ConfigError(
            f"data.hf_dataset={data.hf_dataset!r} needs the datasets package: "
            'pip install "zeroplay[hf-datasets]"'
        ) from None
    try:
        dataset = datasets.load_dataset(data.hf_dataset, split=data.hf_split)
    except Exception as error:  # not found, no network, bad split: a user error with its reason
        raise ConfigError(
            f"cannot load data.hf_dataset={data.hf_dataset!r} split {data.hf_split!r}: {error}"
        ) from None
    if data.hf_image_column not in dataset.column_names:
        raise ConfigError(
            f"dataset {data.hf_dataset!r} has no column {data.hf_image_column!r}; "
            f"set data.hf_image_column to one of {dataset.column_names}"
        )
    return DatasetImages(dataset, data.hf_image_column, data.min_pixels, data.max_pixels)


def generate_chart_images(folder: Path, count: int, seed: int, width: int, height: int) -> None:
    """Draw charts 0..count-1 into `folder` (`chart_000000.png`, ...); finished ones are kept.

    Chart i has its own random stream (seed, i), so the same seed gives the same images.
    """
    from zeroplay.data.charts.render import draw_chart
    from zeroplay.data.charts.spec import CHART_TYPES, sample_spec
    from zeroplay.data.layout import write_png_atomic
    from zeroplay.data.seeding import pair_rng

    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        path = folder / f"chart_{index:06d}.png"
        if path.exists():
            continue
        rng = pair_rng(seed, index)
        chart_type = CHART_TYPES[int(rng.integers(len(CHART_TYPES)))]
        write_png_atomic(path, draw_chart(sample_spec(rng, chart_type, width, height)))


def open_user_images(data: DataSection) -> ImageSource | None:
    """The folder or dataset the user named, checked before the run directory is made; None
    when the recipe generates its own images."""
    if data.hf_dataset:
        return load_hf_images(data)
    if not data.path:
        return None
    root = Path(data.path).expanduser()
    if not root.is_dir():
        raise ConfigError(f"data.path {str(root)!r} is not a folder of images")
    source = FolderImages(root, data.min_pixels, data.max_pixels)
    if not source.ids:
        raise ConfigError(f"no image files under {str(root)!r}")
    return source


def open_generated_images(
    data: DataSection, folder: Path, seed: int, *, is_main: bool, wait: Callable[[], Any]
) -> ImageSource:
    """`data.generate_charts` charts in `folder`, drawn by the main process (`wait()` is the
    barrier after which the other ranks read them)."""
    if is_main:
        generate_chart_images(
            folder, data.generate_charts, seed, data.chart_width, data.chart_height
        )
    wait()
    return FolderImages(folder, data.min_pixels, data.max_pixels)


def load_images(
    source: ImageSource, ids: Sequence[str]
) -> tuple[list[tuple[str, Image.Image]], int]:
    """(id, image) for the readable ones among `ids`, and how many could not be read."""
    loaded = []
    for image_id in ids:
        image = source.load(image_id)
        if image is not None:
            loaded.append((image_id, image))
    return loaded, len(ids) - len(loaded)
