"""Opening user images safely, and plain folders of unlabeled images.

A broken file (unreadable, truncated, not an image) is data: it is skipped and reported, never
an exception that stops a run.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

IMAGE_SUFFIXES: frozenset[str] = frozenset(
    {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
)


@dataclass(frozen=True)
class SkippedImage:
    path: Path
    reason: str


@dataclass
class ImageFolder:
    """Readable image files under a folder (sorted) and the files that were skipped."""

    root: Path
    paths: list[Path] = field(default_factory=list)
    skipped: list[SkippedImage] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.paths)} images, {len(self.skipped)} skipped"


def read_image(path: Path) -> tuple[Image.Image | None, str | None]:
    """Fully decode `path` as RGB; (image, None) or (None, reason) for any failure.

    Images above PIL's decompression-bomb limit (about 89 megapixels) are refused too.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as handle:
                handle.load()  # raises on truncated data
                return handle.convert("RGB"), None
    except Exception as error:  # any failure to decode untrusted bytes means "skip this file"
        return None, f"{type(error).__name__}: {error}"


def open_image(path: Path) -> Image.Image | None:
    """The image at `path` as RGB, or None when it cannot be fully read."""
    return read_image(path)[0]


def image_files(root: Path) -> list[Path]:
    """Files with an image suffix under `root`, recursively, in sorted order (hidden skipped)."""
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and path.suffix.lower() in IMAGE_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def load_image_folder(root: Path | str, check: bool = True) -> ImageFolder:
    """All images under `root`; with `check`, each is decoded and broken ones are skipped."""
    folder = ImageFolder(Path(root))
    if not folder.root.is_dir():
        raise FileNotFoundError(f"not a folder: {folder.root}")
    for path in image_files(folder.root):
        if not check:
            folder.paths.append(path)
            continue
        _, reason = read_image(path)
        if reason is None:
            folder.paths.append(path)
        else:
            folder.skipped.append(SkippedImage(path, reason))
    return folder
