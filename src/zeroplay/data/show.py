"""Summaries and contact sheets of a pair folder, to check generated data by eye."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw

from zeroplay.data.images import open_image
from zeroplay.data.pairs import ImagePair, load_pairs

OUTLINE = (255, 0, 64)
LABEL_HEIGHT = 16


@dataclass
class FolderSummary:
    root: Path
    pairs: int = 0
    domains: Counter[str] = field(default_factory=Counter)
    edits: Counter[str] = field(default_factory=Counter)
    with_boxes: int = 0


def summarize(pairs: list[ImagePair], root: Path) -> FolderSummary:
    summary = FolderSummary(root, pairs=len(pairs))
    for pair in pairs:
        summary.domains[pair.domain] += 1
        summary.edits[pair.edit or "unrecorded"] += 1
        summary.with_boxes += bool(pair.boxes)
    return summary


def _thumbnail(
    image: Image.Image, boxes: list[tuple[int, int, int, int]], size: int
) -> Image.Image:
    """Draw the boxes at full resolution, then shrink to fit a `size` x `size` cell."""
    picture = image.copy()
    draw = ImageDraw.Draw(picture)
    line = max(1, round(max(picture.size) / 160))
    for left, top, right, bottom in boxes:
        draw.rectangle([left, top, right - 1, bottom - 1], outline=OUTLINE, width=line)
    picture.thumbnail((size, size))
    return picture


def contact_sheet(pairs: list[ImagePair], size: int = 256) -> Image.Image:
    """One row per pair: original and modified side by side, edited regions outlined."""
    if not pairs:
        raise ValueError("no pairs to show")
    rows = []
    for pair in pairs:
        cells = []
        for path in (pair.original, pair.modified):
            image = open_image(path)
            cells.append(
                _thumbnail(image, pair.boxes, size)
                if image is not None
                else Image.new("RGB", (size, size // 2), (200, 200, 200))
            )
        rows.append((pair, cells))
    heights = [max(cell.height for cell in cells) + LABEL_HEIGHT + 4 for _, cells in rows]
    sheet = Image.new("RGB", (2 * size + 12, sum(heights)), "white")
    draw = ImageDraw.Draw(sheet)
    y = 0
    for (pair, cells), height in zip(rows, heights, strict=True):
        draw.text((4, y + 2), f"{pair.id}  {pair.domain}  {pair.edit or ''}", fill=(0, 0, 0))
        for column, cell in enumerate(cells):
            sheet.paste(cell, (4 + column * (size + 4), y + LABEL_HEIGHT))
        y += height
    return sheet


def show_folder(
    root: Path, count: int = 6, size: int = 256
) -> tuple[FolderSummary, Image.Image | None]:
    """Summary of every pair under `root` and a contact sheet of the first `count` pairs."""
    pairs = load_pairs(root)
    summary = summarize(pairs, root)
    sheet = contact_sheet(pairs[:count], size) if pairs and count > 0 else None
    return summary, sheet
