"""Checks of raster images embedded in SVG as base64 data URIs, by their bytes.

The declared MIME type proves nothing: cairosvg sniffs the content, so a `data:image/png` URI
carrying SVG text was parsed as a nested SVG document that skipped every sanitizer check. And a
small PNG can declare 25000 x 25000 pixels, which aborted the resvg worker while decoding. So the
payload is decoded, its format is recognised from its leading bytes (PNG, JPEG, GIF, WebP) and
its dimensions are read from its header, before any renderer sees it.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings

from PIL import Image

# Formats a renderer may decode, recognised by PIL from the leading bytes only.
RASTER_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
_DATA_URI = re.compile(r"data:image/[a-z0-9.+-]+;base64,(.*)", re.IGNORECASE | re.DOTALL)
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=]")


def raster_data_uri_problem(uri: str, max_pixels: int) -> str | None:
    """Why the data URI is not a safe embedded raster, or None when it is one.

    Safe means: base64 payload, bytes of a PNG, JPEG, GIF or WebP image (whatever MIME type the
    URI declares), and at most `max_pixels` pixels.
    """
    match = _DATA_URI.fullmatch(uri.strip())
    if match is None:
        return "not a base64 image data URI"
    payload = _NOT_BASE64.sub("", match.group(1))  # renderers skip whitespace in base64
    try:
        data = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
    except (binascii.Error, ValueError):
        return "malformed base64"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PIL's decompression-bomb warning; checked below
            with Image.open(io.BytesIO(data), formats=RASTER_FORMATS) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        return f"embedded image exceeds {max_pixels} pixels"
    except Exception:  # not one of the formats, or a header PIL cannot read
        return "not a PNG, JPEG, GIF or WebP image"
    if width * height > max_pixels:
        return f"embedded image of {width}x{height} pixels exceeds {max_pixels} pixels"
    return None
