"""Rendered images in an MM-Zero run: pixel bounds, remembering renders, PNG files.

`SolverImages` is the render function the game is given: it renders through the sandbox,
rescales each image into the Solver's pixel bounds and remembers the images so the recipe can
save them as PNG next to the records that name their SVG code. `sharded_render` splits the
rendering of a batch over data-parallel ranks.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from PIL import Image

from zeroplay import runtime
from zeroplay.rl.rundir import atomic_write_bytes


def fit_pixels(image: Image.Image, min_pixels: int | None, max_pixels: int | None) -> Image.Image:
    """Rescale `image` (aspect kept) so its pixel count lies in [min_pixels, max_pixels].

    EasyR1's Solver dataset (note §5): when w*h > max, scale both sides by sqrt(max / (w*h))
    and truncate; then the same upwards when w*h < min.
    """
    for bound, too_far in ((max_pixels, lambda p, b: p > b), (min_pixels, lambda p, b: p < b)):
        pixels = image.width * image.height
        if bound and too_far(pixels, bound):
            factor = math.sqrt(bound / pixels)
            size = (max(1, int(image.width * factor)), max(1, int(image.height * factor)))
            image = image.resize(size, Image.Resampling.BICUBIC)
    return image


class SolverImages:
    """A `RenderFn`: sandboxed render, then pixel bounds; remembers up to `keep` images by code.

    `keep=None` remembers every image (they are the Solver's training data); the images are
    the same objects the game holds, so remembering them costs no extra memory.
    """

    def __init__(
        self,
        render: Callable[[list[str]], Sequence[Any]],
        min_pixels: int | None = None,
        max_pixels: int | None = None,
        keep: int | None = None,
    ):
        self.render = render
        self.min_pixels = min_pixels
        self.max_pixels = max_pixels
        self.keep = keep
        self.images: dict[str, Image.Image] = {}

    def __call__(self, codes: list[str]) -> list[Any]:
        out = []
        for code, result in zip(codes, self.render(codes), strict=True):
            if result.ok and result.image is not None:
                image = fit_pixels(result.image, self.min_pixels, self.max_pixels)
                result = replace(result, image=image, width=image.width, height=image.height)
                if self.keep is None or len(self.images) < self.keep:
                    self.images.setdefault(code, image)
            out.append(result)
        return out

    def save(self, named_codes: Iterable[tuple[str, str]], folder: Path) -> list[str]:
        """Write the remembered image of each (file stem, SVG code) pair as `folder/stem.png`;
        returns the stems written."""
        written = []
        for stem, code in named_codes:
            image = self.images.get(code)
            if image is not None:
                save_png(image, folder / f"{stem}.png")
                written.append(stem)
        return written


def sharded_render(
    accelerator: Any, render: Callable[[list[str]], Sequence[Any]]
) -> Callable[[list[str]], list[Any]]:
    """`render` with each rank rendering its share of a batch (`runtime.shard_map`); the
    images travel between ranks as PNG, so every rank gets the same pixels."""

    def call(codes: list[str]) -> list[Any]:
        return runtime.shard_map(accelerator, render, codes, pack=_as_png, unpack=_from_png)

    return call


def _as_png(result: Any) -> Any:
    return replace(result, image=png_bytes(result.image)) if result.image is not None else result


def _from_png(_code: str, result: Any) -> Any:
    if not isinstance(result.image, bytes):
        return result
    return replace(result, image=_decoded(result.image))


def png_bytes(image: Image.Image) -> bytes:
    """`image` as PNG (lossless: decoding gives the same pixels)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def save_png(image: Image.Image, path: str | os.PathLike[str]) -> None:
    """Write `image` as PNG atomically (lossless, so reloading gives the same pixels)."""
    atomic_write_bytes(path, png_bytes(image))


def load_png(path: str | os.PathLike[str]) -> Image.Image:
    """An RGB image read fully into memory (the file is closed on return)."""
    return _decoded(Path(path).read_bytes())


def _decoded(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")
