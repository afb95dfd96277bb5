"""Bounds on SVG filter effects, so a filter-heavy file is refused at once instead of burning the
render timeout.

Filters cost time per output pixel: feTurbulence grows with its octaves, feMorphology and
feConvolveMatrix with their window, and every element that uses a filter runs it again. A file
with huge parameters on the largest canvas held a resvg worker for the whole 30 s budget. Radii
are compared in canvas pixels, after the viewBox scale (and the bounding box, for
`primitiveUnits="objectBoundingBox"`), so a tiny viewBox cannot hide a large radius.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

from zeroplay.data.svg.limits import SvgLimits
from zeroplay.data.svg.size import CanvasSize

# Children of primitives (transfer functions, merge inputs, light sources) are not primitives.
_NOT_PRIMITIVES = frozenset(
    {"feFuncR", "feFuncG", "feFuncB", "feFuncA", "feMergeNode"}
    | {"feDistantLight", "fePointLight", "feSpotLight"}
)
# primitive -> (attribute, the SvgLimits field that caps it in canvas pixels). Blurs run as box
# blurs whose cost hardly grows with the deviation; morphology scans its whole window per pixel.
_RADIUS_ATTRIBUTES = {
    "feGaussianBlur": ("stdDeviation", "max_blur_px"),
    "feDropShadow": ("stdDeviation", "max_blur_px"),
    "feMorphology": ("radius", "max_morphology_px"),
}
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_FILTER_IN_STYLE = re.compile(r"(?:^|;)\s*filter\s*:\s*(?!none\b)", re.IGNORECASE)


def _local(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


def _largest_number(value: str | None) -> float:
    """The largest absolute number in an attribute value (0 when there is none)."""
    if not value:
        return 0.0
    numbers = [abs(float(n)) for n in _NUMBER.findall(value[:200])]
    finite = [n for n in numbers if math.isfinite(n)]
    return max(finite, default=math.inf if numbers else 0.0)


def _uses_filter(element: ET.Element) -> bool:
    value = element.get("filter")
    if value is not None and value.strip().lower() not in ("", "none"):
        return True
    return bool(_FILTER_IN_STYLE.search(element.get("style") or ""))


def filter_problem(root: ET.Element, canvas: CanvasSize, limits: SvgLimits) -> str | None:
    """Why the document's filters are too costly to render, or None (see the module docstring).

    Refused: more than `limits.max_filter_primitives` filter primitives or more than
    `limits.max_filtered_elements` elements that use a filter; a blur deviation above
    `limits.max_blur_px` or a morphology radius above `limits.max_morphology_px` canvas pixels;
    feTurbulence with more than
    `limits.max_filter_octaves` octaves; a feConvolveMatrix order above
    `limits.max_convolve_order`.
    """
    view_w, view_h = canvas.view_box[2], canvas.view_box[3]
    user_scale = max(canvas.width / view_w, canvas.height / view_h)
    bbox_scale = max(canvas.width, canvas.height)
    primitives = 0
    filtered = 0
    for element in root.iter():
        if _uses_filter(element):
            filtered += 1
            if filtered > limits.max_filtered_elements:
                return f"more than {limits.max_filtered_elements} elements use a filter"
        name = _local(element.tag)
        if name != "filter":
            continue
        by_bbox = element.get("primitiveUnits", "").strip() == "objectBoundingBox"
        scale = bbox_scale if by_bbox else user_scale
        for primitive in element.iter():
            kind = _local(primitive.tag)
            if not kind.startswith("fe") or kind in _NOT_PRIMITIVES:
                continue
            primitives += 1
            if primitives > limits.max_filter_primitives:
                return f"more than {limits.max_filter_primitives} filter primitives"
            problem = _primitive_problem(primitive, kind, scale, limits)
            if problem is not None:
                return problem
    return None


def _primitive_problem(
    primitive: ET.Element, kind: str, scale: float, limits: SvgLimits
) -> str | None:
    """Why one filter primitive's parameters are too large, or None."""
    if kind in _RADIUS_ATTRIBUTES:
        attribute, limit_name = _RADIUS_ATTRIBUTES[kind]
        radius_px = _largest_number(primitive.get(attribute)) * scale
        limit: float = getattr(limits, limit_name)
        if radius_px > limit:
            return f"{kind} {attribute} of {radius_px:.4g} px is above {limit:g} px"
    elif kind == "feTurbulence":
        octaves = _largest_number(primitive.get("numOctaves"))
        if octaves > limits.max_filter_octaves:
            return f"feTurbulence numOctaves {octaves:g} is above {limits.max_filter_octaves}"
    elif kind == "feConvolveMatrix":
        order = _largest_number(primitive.get("order"))
        if order > limits.max_convolve_order:
            return f"feConvolveMatrix order {order:g} is above {limits.max_convolve_order}"
    return None
