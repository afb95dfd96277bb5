"""Pixel boxes: unions, and the regions where two images differ.

A box is (left, top, right, bottom) in pixels with right and bottom exclusive, like PIL's crop.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

Box = tuple[int, int, int, int]


def union_box(boxes: Iterable[Box]) -> Box:
    """Smallest box holding all `boxes` (at least one)."""
    items = list(boxes)
    if not items:
        raise ValueError("union of no boxes")
    return (
        min(b[0] for b in items),
        min(b[1] for b in items),
        max(b[2] for b in items),
        max(b[3] for b in items),
    )


def pad_box(box: Box, pad: int, width: int, height: int) -> Box:
    """Grow a box by `pad` pixels on every side, clipped to the image."""
    return (
        max(0, box[0] - pad),
        max(0, box[1] - pad),
        min(width, box[2] + pad),
        min(height, box[3] + pad),
    )


def difference_mask(a: np.ndarray, b: np.ndarray, threshold: int) -> np.ndarray:
    """Pixels where any channel of two same-size uint8 images differs by more than `threshold`."""
    if a.shape != b.shape:
        raise ValueError(f"image sizes differ: {a.shape} vs {b.shape}")
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return diff.max(axis=-1) > threshold if diff.ndim == 3 else diff > threshold


def mask_regions(mask: np.ndarray, cell: int = 8, gap: int = 1) -> list[Box]:
    """Boxes around the clusters of True pixels.

    The mask is cut into `cell` x `cell` tiles; tiles with a True pixel are grouped when they
    are at most `gap` empty tiles apart (8-connected), and each group yields the tight box of
    its True pixels. Boxes come sorted by (top, left).
    """
    height, width = mask.shape
    rows, cols = -(-height // cell), -(-width // cell)
    padded = np.zeros((rows * cell, cols * cell), dtype=bool)
    padded[:height, :width] = mask
    occupied = padded.reshape(rows, cell, cols, cell).any(axis=(1, 3))
    label = np.full((rows, cols), -1, dtype=np.int32)
    groups: list[list[tuple[int, int]]] = []
    reach = gap + 1
    for start in zip(*np.nonzero(occupied), strict=True):
        if label[start] >= 0:
            continue
        group_id = len(groups)
        label[start] = group_id
        stack, members = [start], []
        while stack:
            r, c = stack.pop()
            members.append((int(r), int(c)))
            r0, r1 = max(0, r - reach), min(rows, r + reach + 1)
            c0, c1 = max(0, c - reach), min(cols, c + reach + 1)
            near = np.argwhere(occupied[r0:r1, c0:c1] & (label[r0:r1, c0:c1] < 0))
            for dr, dc in near:
                cell_index = (r0 + int(dr), c0 + int(dc))
                label[cell_index] = group_id
                stack.append(cell_index)
        groups.append(members)
    boxes: list[Box] = []
    for members in groups:
        ys, xs = [], []
        for r, c in members:
            tile = padded[r * cell : (r + 1) * cell, c * cell : (c + 1) * cell]
            ty, tx = np.nonzero(tile)
            ys.extend((ty + r * cell).tolist())
            xs.extend((tx + c * cell).tolist())
        boxes.append((min(xs), min(ys), max(xs) + 1, max(ys) + 1))
    return sorted(boxes, key=lambda b: (b[1], b[0]))


def difference_boxes(a: np.ndarray, b: np.ndarray, threshold: int = 16, cell: int = 8) -> list[Box]:
    """Boxes around the regions where images `a` and `b` differ."""
    return mask_regions(difference_mask(a, b, threshold), cell=cell)
