"""CLEVR's attribute space: 3 shapes, 2 sizes, 2 materials, 8 colours (values from CLEVR's properties)."""

from __future__ import annotations

import math

SHAPES: tuple[str, ...] = ("cube", "sphere", "cylinder")
MATERIALS: tuple[str, ...] = ("rubber", "metal")

# Bounding radius of each size in world units (CLEVR: large 0.7, small 0.35).
SIZES: dict[str, float] = {"large": 0.7, "small": 0.35}

# CLEVR's 8 colours as 0-255 RGB. The renderer reads them as sRGB and converts them to linear
# reflectance, so a lit object shows roughly these values in the image (deep red, dark brown),
# which keeps red/brown and purple/blue far apart.
COLORS: dict[str, tuple[int, int, int]] = {
    "gray": (87, 87, 87),
    "red": (173, 35, 35),
    "blue": (42, 75, 215),
    "green": (29, 105, 20),
    "brown": (129, 74, 25),
    "purple": (129, 38, 192),
    "cyan": (41, 208, 208),
    "yellow": (255, 238, 51),
}

ATTRIBUTES: tuple[str, ...] = ("shape", "color", "size", "material")


def attribute_values(attribute: str) -> tuple[str, ...]:
    """All values an attribute can take, in a fixed order (so sampling is reproducible)."""
    if attribute == "shape":
        return SHAPES
    if attribute == "color":
        return tuple(COLORS)
    if attribute == "size":
        return tuple(SIZES)
    if attribute == "material":
        return MATERIALS
    raise ValueError(f"unknown attribute {attribute!r}; expected one of {ATTRIBUTES}")


def half_height(shape: str, size: str) -> float:
    """Height of the object's centre above the ground.

    CLEVR scales its cube by r / sqrt(2) so that the cube's corners, not its faces, lie on the
    bounding circle of radius r; spheres and cylinders (height 2r) use r itself.
    """
    radius = SIZES[size]
    return radius / math.sqrt(2.0) if shape == "cube" else radius


def linear_rgb(color: str) -> tuple[float, float, float]:
    """The colour as linear reflectance (the inverse of the sRGB transfer curve)."""

    def to_linear(channel: int) -> float:
        c = channel / 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = COLORS[color]
    return to_linear(r), to_linear(g), to_linear(b)
