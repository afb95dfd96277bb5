"""The canvas size of an SVG: intrinsic size from width/height/viewBox, then the capped output size.

Renderers disagree on SVGs without a size (cairosvg fails, resvg uses 100 x 100), so the sandbox
decides the size itself and writes it into the root element before rendering.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from zeroplay.answers.parsed import Parsed
from zeroplay.data.svg.limits import SvgLimits

# CSS absolute units in px at 96 dpi (the dpi cairosvg and resvg use by default).
_PX_PER_UNIT = {
    "": 1.0,
    "px": 1.0,
    "pt": 96.0 / 72.0,
    "pc": 16.0,
    "in": 96.0,
    "cm": 96.0 / 2.54,
    "mm": 96.0 / 25.4,
    "q": 96.0 / 101.6,
}
_LENGTH = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-zA-Z]*)\s*$")
_NUMBER_SEP = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class CanvasSize:
    """Intrinsic size in px, the output size in px, and the viewBox to render with."""

    intrinsic_width: float
    intrinsic_height: float
    width: int
    height: int
    view_box: tuple[float, float, float, float]


def parse_length(value: str | None) -> float | None:
    """An absolute length in px, or None for missing, relative (%, em) or malformed values."""
    if value is None:
        return None
    match = _LENGTH.match(value)
    if match is None:
        return None
    unit = match.group(2).lower()
    if unit not in _PX_PER_UNIT:
        return None
    number = float(match.group(1)) * _PX_PER_UNIT[unit]
    return number if math.isfinite(number) else None


def parse_view_box(value: str | None) -> tuple[float, float, float, float] | None:
    """The four viewBox numbers, or None when missing, malformed or with a non-positive size."""
    if value is None:
        return None
    parts = [p for p in _NUMBER_SEP.split(value.strip()) if p]
    if len(parts) != 4:
        return None
    try:
        numbers = tuple(float(p) for p in parts)
    except ValueError:
        return None
    if not all(math.isfinite(n) for n in numbers) or numbers[2] <= 0 or numbers[3] <= 0:
        return None
    return numbers  # type: ignore[return-value]


def canvas_size(
    width: str | None, height: str | None, view_box: str | None, limits: SvgLimits
) -> Parsed[CanvasSize]:
    """Decide the output canvas from the root's width/height/viewBox attributes.

    Absolute width and height win; one of them plus a viewBox gives the other by the viewBox
    aspect; neither gives the viewBox size (as cairosvg does, mm_zero.md §3). The result is
    scaled down so that no side exceeds `limits.max_side_px` (refused instead with
    `limits.oversize="refuse"`).
    """
    w, h, box = parse_length(width), parse_length(height), parse_view_box(view_box)
    if w is None and h is None:
        if box is None:
            return Parsed.invalid("SVG size is undefined (no absolute width/height, no viewBox)")
        w, h = box[2], box[3]
    elif w is None or h is None:
        if box is None:
            return Parsed.invalid("SVG size is undefined (one of width/height and no viewBox)")
        if w is None:
            w = h * box[2] / box[3]  # type: ignore[operator]
        else:
            h = w * box[3] / box[2]
    assert w is not None and h is not None
    if not (math.isfinite(w) and math.isfinite(h)) or w <= 0 or h <= 0:
        return Parsed.invalid(f"SVG has a non-positive size ({w:g} x {h:g})")
    if max(w, h) / min(w, h) > limits.max_aspect_ratio:
        return Parsed.invalid(
            f"aspect ratio {max(w, h) / min(w, h):.1f} is above {limits.max_aspect_ratio:g}"
        )
    if limits.oversize == "refuse" and max(w, h) > limits.max_side_px:
        return Parsed.invalid(f"SVG side of {max(w, h):g} px is above {limits.max_side_px}")
    scale = min(1.0, limits.max_side_px / max(w, h))
    out_w, out_h = round(w * scale), round(h * scale)
    if out_w < 1 or out_h < 1:
        return Parsed.invalid(f"SVG renders to a zero side ({w:g} x {h:g} px)")
    # Without a viewBox the user units are px of the intrinsic size.
    return Parsed.valid(
        CanvasSize(w, h, out_w, out_h, box if box is not None else (0.0, 0.0, w, h))
    )
