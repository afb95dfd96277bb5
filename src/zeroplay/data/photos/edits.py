"""Local, visible edits of a photo: swap two patches, recolour a region, mirror a region, or
remove a region by inpainting. Each edit reports the pixel boxes it touched."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from zeroplay.data.photos.inpaint import harmonic_fill
from zeroplay.data.regions import Box

PHOTO_EDITS: tuple[str, ...] = ("swap_patches", "recolor", "mirror", "inpaint")
REGION_SHARE = (0.18, 0.35)  # side of an edited region, as a share of the image's short side
MIN_MEAN_CHANGE = 12.0  # mean absolute change (0-255) inside the boxes for an edit to count


@dataclass(frozen=True)
class PhotoEdit:
    kind: str
    image: np.ndarray
    boxes: list[Box]
    details: dict[str, Any] = field(default_factory=dict)


def check_photo_edit(kind: str) -> None:
    if kind not in PHOTO_EDITS:
        raise ValueError(f"unknown photo edit {kind!r}; expected one of {PHOTO_EDITS}")


def _region(rng: np.random.Generator, height: int, width: int) -> tuple[int, int]:
    """A region size (h, w): a random share of the short side with a mild aspect change."""
    side = rng.uniform(*REGION_SHARE) * min(height, width)
    aspect = rng.uniform(0.75, 1.33)
    return max(4, int(side / np.sqrt(aspect))), max(4, int(side * np.sqrt(aspect)))


def _place(rng: np.random.Generator, height: int, width: int, size: tuple[int, int]) -> Box:
    h, w = size
    top = int(rng.integers(0, height - h + 1))
    left = int(rng.integers(0, width - w + 1))
    return left, top, left + w, top + h


def _ellipse_mask(size: tuple[int, int], feather: float) -> np.ndarray:
    """A soft-edged ellipse filling an (h, w) box, values in [0, 1]."""
    h, w = size
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).ellipse([0, 0, w - 1, h - 1], fill=255)
    if feather > 0:
        mask = mask.filter(ImageFilter.GaussianBlur(feather))
    return np.asarray(mask, dtype=np.float32) / 255.0


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _swap_patches(image: np.ndarray, rng: np.random.Generator) -> PhotoEdit | None:
    height, width = image.shape[:2]
    size = _region(rng, height, width)
    first = _place(rng, height, width, size)
    for _ in range(20):
        second = _place(rng, height, width, size)
        if not _overlaps(first, second):
            break
    else:
        return None
    out = image.copy()
    a = (slice(first[1], first[3]), slice(first[0], first[2]))
    b = (slice(second[1], second[3]), slice(second[0], second[2]))
    out[a], out[b] = image[b], image[a]
    return PhotoEdit("swap_patches", out, [first, second])


def _recolor(image: np.ndarray, rng: np.random.Generator) -> PhotoEdit | None:
    height, width = image.shape[:2]
    size = _region(rng, height, width)
    box = _place(rng, height, width, size)
    crop = (slice(box[1], box[3]), slice(box[0], box[2]))
    hsv = np.asarray(Image.fromarray(image[crop]).convert("HSV")).astype(np.int32)
    shift = int(rng.integers(64, 193))  # a third to three quarters of the hue circle (0-255)
    hsv[..., 0] = (hsv[..., 0] + shift) % 256
    # Grey regions have no hue to turn; give them enough saturation to show the new one.
    hsv[..., 1] = np.maximum(hsv[..., 1], 110)
    recoloured = np.asarray(Image.fromarray(hsv.astype(np.uint8), "HSV").convert("RGB"))
    mask = _ellipse_mask(size, feather=max(1.0, min(size) / 40))[..., None]
    out = image.copy()
    out[crop] = np.rint(mask * recoloured + (1 - mask) * image[crop]).astype(np.uint8)
    return PhotoEdit("recolor", out, [box], {"hue_shift_degrees": round(shift * 360 / 256)})


def _mirror(image: np.ndarray, rng: np.random.Generator) -> PhotoEdit | None:
    height, width = image.shape[:2]
    box = _place(rng, height, width, _region(rng, height, width))
    crop = (slice(box[1], box[3]), slice(box[0], box[2]))
    out = image.copy()
    axis = "horizontal" if rng.integers(2) == 0 else "vertical"
    out[crop] = image[crop][:, ::-1] if axis == "horizontal" else image[crop][::-1]
    return PhotoEdit("mirror", out, [box], {"flip": axis})


def _inpaint(image: np.ndarray, rng: np.random.Generator) -> PhotoEdit | None:
    height, width = image.shape[:2]
    size = _region(rng, height, width)
    box = _place(rng, height, width, size)
    # Solve on the box plus a border of known pixels around it.
    border = max(4, min(size) // 4)
    outer = (
        max(0, box[0] - border),
        max(0, box[1] - border),
        min(width, box[2] + border),
        min(height, box[3] + border),
    )
    crop = (slice(outer[1], outer[3]), slice(outer[0], outer[2]))
    hole = np.zeros((outer[3] - outer[1], outer[2] - outer[0]), dtype=np.float32)
    inner = (
        slice(box[1] - outer[1], box[3] - outer[1]),
        slice(box[0] - outer[0], box[2] - outer[0]),
    )
    hole[inner] = _ellipse_mask(size, feather=0.0)
    known = hole < 0.5
    if not known.any():
        return None
    filled = harmonic_fill(image[crop].astype(np.float32), known)
    # Blend the filled hole in through a slightly soft edge.
    soft = (
        np.asarray(
            Image.fromarray((hole * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.5)),
            dtype=np.float32,
        )[..., None]
        / 255.0
    )
    out = image.copy()
    out[crop] = np.rint(soft * filled + (1 - soft) * image[crop]).astype(np.uint8)
    return PhotoEdit("inpaint", out, [box])


_EDITS = {
    "swap_patches": _swap_patches,
    "recolor": _recolor,
    "mirror": _mirror,
    "inpaint": _inpaint,
}


def mean_change(before: np.ndarray, after: np.ndarray, boxes: list[Box]) -> float:
    """Mean absolute pixel change (0-255, over channels) inside the boxes."""
    total, count = 0.0, 0
    for left, top, right, bottom in boxes:
        a = before[top:bottom, left:right].astype(np.float32)
        b = after[top:bottom, left:right].astype(np.float32)
        total += float(np.abs(a - b).sum())
        count += a.size
    return total / max(count, 1)


def apply_photo_edit(image: np.ndarray, kind: str, rng: np.random.Generator) -> PhotoEdit | None:
    """Apply `kind` at a random place; None when the result is not visibly different there
    (swapping two patches of sky, say), so the caller can try elsewhere."""
    check_photo_edit(kind)
    if min(image.shape[:2]) < 32:
        return None
    edit = _EDITS[kind](image, rng)
    if edit is None or mean_change(image, edit.image, edit.boxes) < MIN_MEAN_CHANGE:
        return None
    return edit
