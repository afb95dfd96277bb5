"""Sandboxed rendering of model-written SVG (MM-Zero's CodeGen output) into RGB images.

`sanitize_svg` is the pure first line of defence; `SvgRenderer` renders in guarded worker
processes with per-item timeouts and memory limits.
"""

from zeroplay.data.svg.config import SvgRenderConfig
from zeroplay.data.svg.limits import SvgLimits
from zeroplay.data.svg.renderer import RenderResult, SvgRenderer
from zeroplay.data.svg.sanitize import SanitizedSvg, sanitize_svg, sanitize_svg_document

__all__ = [
    "RenderResult",
    "SanitizedSvg",
    "SvgLimits",
    "SvgRenderConfig",
    "SvgRenderer",
    "sanitize_svg",
    "sanitize_svg_document",
]
