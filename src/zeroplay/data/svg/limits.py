"""Limits applied to model-written SVG before it reaches a renderer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class SvgLimits:
    """Bounds on input size, tree shape and output canvas.

    `max_side_px` caps the rendered canvas: larger intrinsic sizes are scaled down (aspect kept),
    or refused with `oversize="refuse"` (the released renderer's rule, at 16384).
    `max_aspect_ratio` = 100 is the released renderer's check (mm_zero.md §3); it rejected sides
    above 16384 instead of scaling, which let a 16k x 16k canvas cost about 1 GiB (§11.16).
    Embedded rasters may have at most `max_side_px ** 2` pixels.
    The filter bounds (`zeroplay.data.svg.filters`) refuse a filter-heavy file at once: at most
    `max_filter_primitives` primitives and `max_filtered_elements` filtered elements, blur
    deviations up to `max_blur_px` and morphology radii up to `max_morphology_px` canvas pixels,
    `max_filter_octaves` feTurbulence octaves and a feConvolveMatrix order up to
    `max_convolve_order`.
    """

    max_chars: int = 1_000_000
    max_depth: int = 128
    max_elements: int = 50_000
    max_side_px: int = 2048
    max_aspect_ratio: float = 100.0
    oversize: Literal["scale", "refuse"] = "scale"
    max_filter_primitives: int = 16
    max_filtered_elements: int = 32
    max_blur_px: float = 64.0
    max_morphology_px: float = 4.0
    max_filter_octaves: int = 4
    max_convolve_order: int = 5

    def __post_init__(self) -> None:
        if self.max_chars < 1 or self.max_depth < 1 or self.max_elements < 1:
            raise ValueError("max_chars, max_depth and max_elements must be >= 1")
        if self.max_side_px < 1:
            raise ValueError(f"max_side_px must be >= 1, got {self.max_side_px}")
        if min(self.max_filter_primitives, self.max_filtered_elements) < 0:
            raise ValueError("max_filter_primitives and max_filtered_elements must be >= 0")
        if min(self.max_blur_px, self.max_morphology_px, self.max_filter_octaves) < 0:
            raise ValueError("filter bounds must be >= 0")
        if self.max_convolve_order < 1:
            raise ValueError(f"max_convolve_order must be >= 1, got {self.max_convolve_order}")
        if self.oversize not in ("scale", "refuse"):
            raise ValueError(f"oversize must be 'scale' or 'refuse', got {self.oversize!r}")
        if self.max_aspect_ratio < 1:
            raise ValueError(f"max_aspect_ratio must be >= 1, got {self.max_aspect_ratio}")
