"""On-disk layout of a pair folder and atomic writes.

A pair `<id>` is `<id>_original.png`, `<id>_modified.png`, optional `<id>_original.json` and
`<id>_modified.json`, and `<id>_diff.json`. The diff is written last, so a pair is complete
exactly when its diff exists; every file goes through a temporary name and `os.replace`.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

TEMP_TAG = ".tmp-"


@dataclass(frozen=True)
class PairPaths:
    original: Path
    modified: Path
    original_json: Path
    modified_json: Path
    diff: Path


def pair_id(index: int) -> str:
    """Zero-padded pair id, so that ids sort in index order."""
    return f"{index:06d}"


def pair_paths(folder: Path, pid: str) -> PairPaths:
    return PairPaths(
        original=folder / f"{pid}_original.png",
        modified=folder / f"{pid}_modified.png",
        original_json=folder / f"{pid}_original.json",
        modified_json=folder / f"{pid}_modified.json",
        diff=folder / f"{pid}_diff.json",
    )


def is_done(folder: Path, index: int) -> bool:
    return pair_paths(folder, pair_id(index)).diff.exists()


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary sibling, then rename over `path` (readers never see half a file)."""
    temp = path.with_name(f".{path.name}{TEMP_TAG}{os.getpid()}")
    with open(temp, "wb") as handle:
        handle.write(data)
    os.replace(temp, path)


def write_json_atomic(path: Path, value: Any) -> None:
    write_bytes_atomic(path, (json.dumps(value, separators=(",", ":")) + "\n").encode())


def png_bytes(image: np.ndarray | Image.Image) -> bytes:
    """PNG encoding of an RGB uint8 array or PIL image (deterministic for the same pixels)."""
    picture = image if isinstance(image, Image.Image) else Image.fromarray(image)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def write_png_atomic(path: Path, image: np.ndarray | Image.Image) -> None:
    write_bytes_atomic(path, png_bytes(image))


def remove_temp_files(folder: Path) -> int:
    """Delete temporaries left by an interrupted run; returns how many were removed."""
    removed = 0
    for path in folder.glob(f".*{TEMP_TAG}*"):
        if path.is_file():
            path.unlink()
            removed += 1
    return removed
