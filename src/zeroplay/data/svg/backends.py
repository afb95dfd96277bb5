"""SVG to PNG backends (resvg, cairosvg) and the RGB conversion; runs inside sandbox workers.

Both backends get sanitized, explicitly sized SVG text (never a file path or URL), so relative
references have no base to resolve against. cairosvg is additionally run with `unsafe=False`,
which refuses entities and fetches nothing but data URIs. Text uses only the fonts bundled with
matplotlib (`zeroplay.data.svg.fonts`): resvg is given them here, cairo through the fontconfig
file the worker points `FONTCONFIG_FILE` at.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from zeroplay.data.svg.config import Backend, Background
from zeroplay.data.svg.fonts import resvg_font_options


def render_png(svg: str, width: int, height: int, backend: Backend) -> bytes:
    """PNG bytes (RGBA) of `svg` drawn on a `width` x `height` canvas."""
    if backend == "resvg":
        import resvg_py

        return resvg_py.svg_to_bytes(
            svg_string=svg, width=width, height=height, **resvg_font_options()
        )
    import cairosvg

    png: Any = cairosvg.svg2png(
        bytestring=svg.encode("utf-8"), output_width=width, output_height=height, unsafe=False
    )
    return bytes(png)


def to_rgb(png: bytes, background: Background) -> Image.Image:
    """Decode PNG bytes into an RGB image.

    "white": alpha-composite onto white. "black": drop alpha the way the released code did
    (`Image.convert("RGB")`, mm_zero.md §3), which makes transparent pixels black.
    """
    with Image.open(io.BytesIO(png)) as decoded:
        decoded.load()
        rgba = decoded.convert("RGBA")
    if background == "black":
        return rgba.convert("RGB")
    canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    canvas.alpha_composite(rgba)
    return canvas.convert("RGB")
