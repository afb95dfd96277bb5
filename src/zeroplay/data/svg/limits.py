"""Limits applied to model-written SVG before it reaches a renderer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SvgLimits:
    """Bounds on input size, tree shape and output canvas.

    `max_side_px` caps the rendered canvas: larger intrinsic sizes are scaled down (aspect kept).
    `max_aspect_ratio` = 100 is the released renderer's check (mm_zero.md §3); it rejected sides
    above 16384 instead of scaling, which let a 16k x 16k canvas cost about 1 GiB (§11.16).
    """

    max_chars: int = 1_000_000
    max_depth: int = 128
    max_elements: int = 50_000
    max_side_px: int = 2048
    max_aspect_ratio: float = 100.0

    def __post_init__(self) -> None:
        if self.max_chars < 1 or self.max_depth < 1 or self.max_elements < 1:
            raise ValueError("max_chars, max_depth and max_elements must be >= 1")
        if self.max_side_px < 1:
            raise ValueError(f"max_side_px must be >= 1, got {self.max_side_px}")
        if self.max_aspect_ratio < 1:
            raise ValueError(f"max_aspect_ratio must be >= 1, got {self.max_aspect_ratio}")
