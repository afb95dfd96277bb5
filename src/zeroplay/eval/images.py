"""Turning image references of benchmark files into pictures, and base64 text into bytes."""

from __future__ import annotations

import base64
import binascii
import io
import re

from PIL import Image

from zeroplay.data.images import read_image
from zeroplay.eval.items import ImageRef

_DATA_URI = re.compile(r"data:image/[\w.+-]+;base64,", re.IGNORECASE)
# Base64 text: its alphabet (standard or URL-safe), with optional padding and line breaks.
_BASE64 = re.compile(r"[A-Za-z0-9+/_\-\s]+={0,2}\s*")
# Anything this long made only of base64 characters is an encoded image, never a file name.
MIN_BASE64_CHARS = 65


def looks_like_base64(text: str) -> bool:
    """True for a data URI or a long run of base64 characters (VLMEvalKit: more than 64)."""
    if _DATA_URI.match(text):
        return True
    return len(text) >= MIN_BASE64_CHARS and _BASE64.fullmatch(text) is not None


def base64_bytes(text: str) -> bytes | None:
    """The bytes encoded by `text` (a data URI or bare base64), or None if it is not valid."""
    body = _DATA_URI.sub("", text.strip(), count=1)
    body = "".join(body.split())
    body = body.replace("-", "+").replace("_", "/")
    body += "=" * (-len(body) % 4)
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None


def open_ref(ref: ImageRef) -> tuple[Image.Image | None, str | None]:
    """Decode one reference as RGB: (image, None), or (None, why it could not be read)."""
    if ref.path is not None:
        if not ref.path.is_file():
            return None, f"image file {str(ref.path)!r} does not exist"
        return read_image(ref.path)
    # PIL opens file objects as well as paths; the same size guard and full decode apply.
    return read_image(io.BytesIO(ref.data or b""))  # type: ignore[arg-type]
