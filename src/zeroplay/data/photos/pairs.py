"""Photo-edit pairs made from a user's own images: the photo and a locally edited copy."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from zeroplay.data.images import read_image
from zeroplay.data.layout import pair_id, pair_paths, write_json_atomic, write_png_atomic
from zeroplay.data.photos.edits import PHOTO_EDITS, apply_photo_edit, check_photo_edit
from zeroplay.data.runner import PairOutcome
from zeroplay.data.seeding import pair_rng

TRIES_PER_PAIR = 24


@dataclass(frozen=True)
class PhotoPairConfig:
    """Edit kinds are drawn uniformly per try; photos larger than `max_side` are shrunk."""

    seed: int = 0
    edits: tuple[str, ...] = PHOTO_EDITS
    max_side: int = 1024

    def __post_init__(self) -> None:
        if not self.edits:
            raise ValueError("need at least one edit kind")
        for kind in self.edits:
            check_photo_edit(kind)
        if self.max_side < 32:
            raise ValueError("max_side must be at least 32")


def fit_within(image: Image.Image, max_side: int) -> Image.Image:
    """Shrink (never enlarge) so that the longer side is at most `max_side`."""
    if max(image.size) <= max_side:
        return image
    scale = max_side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def listing_digest(root: Path, paths: list[Path]) -> str:
    """Fingerprint of the source listing, so a resume notices a changed photo folder."""
    joined = "\n".join(path.relative_to(root).as_posix() for path in paths)
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


class PhotoPairMaker:
    """Pair i edits photo i mod N of the (sorted, readable) photos."""

    domain = "photo"

    def __init__(self, config: PhotoPairConfig, root: Path, photos: list[Path]) -> None:
        if not photos:
            raise ValueError(f"no readable images under {root}")
        self.config = config
        self.root = root
        self.photos = photos

    def settings(self) -> dict[str, Any]:
        return {
            **asdict(self.config),
            "images": str(self.root),
            "image_count": len(self.photos),
            "listing": listing_digest(self.root, self.photos),
        }

    def start(self) -> None:
        return None

    def make(self, index: int, folder: Path) -> PairOutcome:
        source = self.photos[index % len(self.photos)]
        relative = source.relative_to(self.root).as_posix()
        picture, reason = read_image(source)
        if picture is None:
            return PairOutcome(index, made=False, reason=f"{relative}: {reason}")
        image = np.asarray(fit_within(picture, self.config.max_side))
        rng = pair_rng(self.config.seed, index)
        edit = None
        for _ in range(TRIES_PER_PAIR):
            kind = self.config.edits[rng.integers(len(self.config.edits))]
            edit = apply_photo_edit(image, kind, rng)
            if edit is not None:
                break
        if edit is None:
            return PairOutcome(index, made=False, reason=f"{relative}: no visible edit found")
        pid = pair_id(index)
        paths = pair_paths(folder, pid)
        write_png_atomic(paths.original, image)
        write_png_atomic(paths.modified, edit.image)
        write_json_atomic(
            paths.diff,
            {
                "id": pid,
                "domain": "photo",
                "edit": edit.kind,
                "source": relative,
                "width": int(image.shape[1]),
                "height": int(image.shape[0]),
                "changes": [
                    {"kind": edit.kind, "boxes": [list(b) for b in edit.boxes], **edit.details}
                ],
                "boxes": [list(b) for b in edit.boxes],
            },
        )
        return PairOutcome(index, made=True, edit=edit.kind)
