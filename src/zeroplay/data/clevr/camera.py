"""Pinhole camera with Mitsuba's look-at and film conventions, in pure numpy.

The same camera drives the renderer and the numpy ray caster that finds each object's visible
pixels, so occlusion checks and pixel boxes line up with the rendered image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Vec3 = tuple[float, float, float]

# CLEVR's Blender camera position; it looks at the origin with a 35 mm lens on a 32 mm wide
# sensor, i.e. a horizontal field of view of 2 * atan(16 / 35) = 49.13 degrees.
CLEVR_CAMERA_POSITION: Vec3 = (7.36, -6.93, 4.96)
CLEVR_FOV_X_DEGREES = 2.0 * math.degrees(math.atan(16.0 / 35.0))


@dataclass(frozen=True)
class Camera:
    """A z-up pinhole camera; `fov_x` is the horizontal field of view in degrees."""

    position: Vec3
    target: Vec3
    fov_x: float
    width: int
    height: int

    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unit (forward, right, up) vectors, built like Mitsuba's `look_at(up=+z)`."""
        forward = np.subtract(self.target, self.position).astype(np.float64)
        forward /= np.linalg.norm(forward)
        left = np.cross([0.0, 0.0, 1.0], forward)
        left /= np.linalg.norm(left)
        up = np.cross(forward, left)
        # Mitsuba's camera x axis points left in world space; image columns grow to the right.
        return forward, -left, up

    def tan_half_fov(self) -> tuple[float, float]:
        """Tangents of the half field of view along x and y (the film keeps square pixels)."""
        tan_x = math.tan(math.radians(self.fov_x) / 2.0)
        return tan_x, tan_x * self.height / self.width

    def pixel_rays(self) -> np.ndarray:
        """Unit ray directions through every pixel centre, shape (height, width, 3)."""
        forward, right, up = self.basis()
        tan_x, tan_y = self.tan_half_fov()
        u = (np.arange(self.width) + 0.5) / self.width * 2.0 - 1.0
        v = 1.0 - (np.arange(self.height) + 0.5) / self.height * 2.0
        dirs = (
            forward[None, None, :]
            + (u * tan_x)[None, :, None] * right[None, None, :]
            + (v * tan_y)[:, None, None] * up[None, None, :]
        )
        return dirs / np.linalg.norm(dirs, axis=-1, keepdims=True)

    def project(self, point: Vec3) -> tuple[float, float, float]:
        """World point -> (column, row, depth): pixel coordinates from the top-left corner and
        the distance along the viewing axis, as in CLEVR's `pixel_coords`."""
        forward, right, up = self.basis()
        rel = np.subtract(point, self.position)
        depth = float(rel @ forward)
        tan_x, tan_y = self.tan_half_fov()
        u = float(rel @ right) / (depth * tan_x)
        v = float(rel @ up) / (depth * tan_y)
        return (u + 1.0) / 2.0 * self.width, (1.0 - v) / 2.0 * self.height, depth

    def ground_directions(self) -> dict[str, list[float]]:
        """CLEVR's `directions`: camera-relative unit vectors; left/right/front/behind lie in the
        ground plane (the camera's axes with their vertical part removed)."""
        forward, right, _ = self.basis()
        behind = np.array([forward[0], forward[1], 0.0])
        behind /= np.linalg.norm(behind)
        left = -np.array([right[0], right[1], 0.0])
        left /= np.linalg.norm(left)
        vectors = {
            "behind": behind,
            "front": -behind,
            "left": left,
            "right": -left,
            "above": np.array([0.0, 0.0, 1.0]),
            "below": np.array([0.0, 0.0, -1.0]),
        }
        return {name: [round(float(c), 6) for c in vec] for name, vec in vectors.items()}
