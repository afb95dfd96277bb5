"""Importing existing data: pair datasets laid out as source/edited folders, and plain image
folders (unlabeled images for VisPlay-style recipes). Broken files are skipped and reported."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from zeroplay.data.images import SkippedImage, image_files, read_image
from zeroplay.data.layout import (
    is_done,
    pair_id,
    pair_paths,
    remove_temp_files,
    write_bytes_atomic,
    write_json_atomic,
    write_png_atomic,
)
from zeroplay.data.manifest import ensure_manifest
from zeroplay.data.photos.pairs import fit_within
from zeroplay.data.regions import difference_boxes

Progress = Callable[[int, int], None]
# Imported edits may be re-encoded everywhere (JPEG), so only clear changes count as edited.
IMPORT_DIFF_THRESHOLD = 32


@dataclass
class ImportReport:
    imported: int = 0
    already_done: int = 0
    skipped: list[SkippedImage] = field(default_factory=list)
    unmatched: list[Path] = field(default_factory=list)


def _key(root: Path, path: Path) -> str:
    return path.relative_to(root).with_suffix("").as_posix()


def import_pair_folders(
    source: Path, edited: Path, out: Path, max_side: int = 1024, progress: Progress | None = None
) -> ImportReport:
    """Pair `source/x.jpg` with `edited/x.<any ext>` (same relative path, any image suffix) and
    write them as our pairs; the diff boxes are where the two images differ."""
    for folder in (source, edited):
        if not folder.is_dir():
            raise FileNotFoundError(f"not a folder: {folder}")
    ensure_manifest(
        out, "photo", {"source": str(source), "edited": str(edited), "max_side": max_side}
    )
    remove_temp_files(out)
    edited_by_key = {_key(edited, path): path for path in image_files(edited)}
    report = ImportReport()
    matched: list[tuple[Path, Path]] = []
    for path in image_files(source):
        partner = edited_by_key.get(_key(source, path))
        if partner is None:
            report.unmatched.append(path)
        else:
            matched.append((path, partner))
    for index, (original_path, edited_path) in enumerate(matched):
        if progress:
            progress(index, len(matched))
        if is_done(out, index):
            report.already_done += 1
            continue
        original, reason = read_image(original_path)
        if original is None:
            report.skipped.append(SkippedImage(original_path, reason or "unreadable"))
            continue
        modified, reason = read_image(edited_path)
        if modified is None:
            report.skipped.append(SkippedImage(edited_path, reason or "unreadable"))
            continue
        original = fit_within(original, max_side)
        resized = modified.size != original.size
        if resized:
            modified = modified.resize(original.size, Image.Resampling.LANCZOS)
        a, b = np.asarray(original), np.asarray(modified)
        boxes = difference_boxes(a, b, threshold=IMPORT_DIFF_THRESHOLD)
        pid = pair_id(index)
        paths = pair_paths(out, pid)
        write_png_atomic(paths.original, a)
        write_png_atomic(paths.modified, b)
        write_json_atomic(
            paths.diff,
            {
                "id": pid,
                "domain": "photo",
                "edit": "imported",
                "source": original_path.relative_to(source).as_posix(),
                "edited": edited_path.relative_to(edited).as_posix(),
                "width": original.width,
                "height": original.height,
                "edited_resized": resized,
                "boxes": [list(box) for box in boxes],
            },
        )
        report.imported += 1
    if progress:
        progress(len(matched), len(matched))
    return report


def import_image_folder(
    images: Path, out: Path, max_side: int = 1024, progress: Progress | None = None
) -> ImportReport:
    """Copy every readable image under `images` to `out` (same relative paths). Files already
    within `max_side` in JPEG or PNG are copied byte for byte; others are shrunk or converted
    and saved as PNG."""
    if not images.is_dir():
        raise FileNotFoundError(f"not a folder: {images}")
    ensure_manifest(out, "images", {"images": str(images), "max_side": max_side})
    remove_temp_files(out)
    report = ImportReport()
    files = image_files(images)
    for position, path in enumerate(files):
        if progress:
            progress(position, len(files))
        relative = path.relative_to(images)
        keep_bytes = path.suffix.lower() in (".jpg", ".jpeg", ".png")
        target = out / (relative if keep_bytes else relative.with_suffix(".png"))
        png_target = target.with_suffix(".png")
        if target.exists() or png_target.exists():
            report.already_done += 1
            continue
        picture, reason = read_image(path)
        if picture is None:
            report.skipped.append(SkippedImage(path, reason or "unreadable"))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if keep_bytes and max(picture.size) <= max_side:
            with open(path, "rb") as handle:
                write_bytes_atomic(target, handle.read())
        else:
            write_png_atomic(png_target, fit_within(picture, max_side))
        report.imported += 1
    if progress:
        progress(len(files), len(files))
    return report
