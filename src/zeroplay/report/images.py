"""Image references in rollout records, turned into small embedded thumbnails.

Records name images by path (relative to the run directory, or absolute for user data); the
report embeds downscaled copies as `data:` URIs so `report.html` is one self-contained file.
Only values under keys whose names say they hold an image are followed, so text a model wrote
(a clue that says "see image.png") never makes the report open a file.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif")
# A key names an image reference when one of these occurs in it (lower-cased).
IMAGE_KEY_HINTS = ("image", "img", "render", "original", "modified", "picture", "photo", "png")
# Keys that hold model-written text, never followed even when their names match a hint.
TEXT_KEYS = frozenset({"text", "clue", "reasoning", "question", "answer", "code", "label"})
DEFAULT_MAX_SIDE = 360


def looks_like_image_ref(key: str, value: Any) -> bool:
    """True for a short one-line string under an image-ish key that ends in an image suffix."""
    if not isinstance(value, str) or len(value) > 500 or "\n" in value:
        return False
    name = key.lower()
    if name in TEXT_KEYS or not any(h in name for h in IMAGE_KEY_HINTS):
        return False
    return value.lower().endswith(IMAGE_SUFFIXES)


def find_image_refs(record: Any, max_depth: int = 3) -> list[tuple[str, str]]:
    """(key path, reference) of every image reference in `record`, in key order, no repeats.

    A key path is the dotted chain of keys, with list positions as numbers; a list under an
    image-ish key (`images: [...]`) is followed with the parent key's name.
    """
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for path, key, value in _walk(record, "", "", max_depth):
        if looks_like_image_ref(key, value) and value not in seen:
            seen.add(value)
            found.append((path, value))
    return found


def _walk(node: Any, path: str, key: str, depth: int) -> Iterator[tuple[str, str, Any]]:
    if isinstance(node, dict):
        if depth < 0:
            return
        for k, v in node.items():
            name = str(k)
            yield from _walk(v, f"{path}.{name}" if path else name, name, depth - 1)
    elif isinstance(node, list):
        if depth < 0:
            return
        for i, v in enumerate(node[:64]):
            yield from _walk(v, f"{path}.{i}", key, depth - 1)
    else:
        yield path, key, node


def encode_thumbnail(image: Image.Image, max_side: int = DEFAULT_MAX_SIDE) -> str:
    """A `data:` URI of `image` shrunk to fit `max_side`: PNG or JPEG, whichever is smaller
    (PNG always when the image has transparency)."""
    image = image.copy()
    image.thumbnail((max_side, max_side))
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    if has_alpha:
        image = image.convert("RGBA")
    elif image.mode != "RGB":
        image = image.convert("RGB")
    png = io.BytesIO()
    image.save(png, format="PNG", optimize=True)
    best, mime = png.getvalue(), "image/png"
    if not has_alpha:
        jpeg = io.BytesIO()
        image.save(jpeg, format="JPEG", quality=88)
        if len(jpeg.getvalue()) < len(best):
            best, mime = jpeg.getvalue(), "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(best).decode('ascii')}"


def png_data_uri(png: bytes) -> str:
    return f"data:image/png;base64,{base64.b64encode(png).decode('ascii')}"


class ThumbnailCache:
    """Resolves image references and keeps each thumbnail once.

    A relative reference is looked up in each of `roots` in turn (the run directory first, then
    e.g. the user's data folder named in the config); a reference that leads outside every root
    ("../../secret.png", an absolute path elsewhere) is not opened. `uri(ref)` is None when the file is
    missing, is not an image, or cannot be decoded; the reason is kept in `problems` (shown in
    the report) instead of stopping the report.
    """

    def __init__(self, roots: Sequence[Path], max_side: int = DEFAULT_MAX_SIDE):
        self.roots = [Path(r) for r in roots]
        self.max_side = max_side
        self._uris: dict[str, str | None] = {}
        self.problems: list[str] = []

    def inside_roots(self, path: Path) -> bool:
        """Whether `path`, with ".." segments collapsed (symlinks kept), lies in a root."""
        target = os.path.normpath(os.path.abspath(path))
        for root in self.roots:
            base = os.path.normpath(os.path.abspath(root))
            if target == base or target.startswith(base + os.sep):
                return True
        return False

    def resolve(self, ref: str) -> Path | None:
        """The file `ref` names inside one of the roots, or None."""
        path = Path(ref)
        candidates = [path] if path.is_absolute() else [root / path for root in self.roots]
        for candidate in candidates:
            if self.inside_roots(candidate) and candidate.is_file():
                return candidate
        return None

    def uri(self, ref: str) -> str | None:
        if ref not in self._uris:
            self._uris[ref] = self._load(ref)
        return self._uris[ref]

    def _load(self, ref: str) -> str | None:
        path = self.resolve(ref)
        if path is None or path.suffix.lower() not in IMAGE_SUFFIXES:
            self.problems.append(f"image {ref!r} not found in the run or its data folders")
            return None
        try:
            with Image.open(path) as image:
                image.draft("RGB", (self.max_side, self.max_side))  # cheap JPEG downscale
                return encode_thumbnail(image, self.max_side)
        except Exception as error:  # any undecodable file is reported, not raised
            self.problems.append(f"image {ref!r} unreadable: {type(error).__name__}")
            return None

    def uri_of_image(self, key: str, image: Image.Image) -> str:
        """Thumbnail of an in-memory image (a render made for the report), cached by `key`."""
        if key not in self._uris or self._uris[key] is None:
            self._uris[key] = encode_thumbnail(image, self.max_side)
        uri = self._uris[key]
        assert uri is not None
        return uri
