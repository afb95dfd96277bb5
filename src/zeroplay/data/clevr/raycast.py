"""Numpy ray caster that labels each pixel with the object it sees first.

It finds occluded or out-of-frame objects before any rendering is spent on a scene, and gives
the exact visible pixels of each object for CLEVR's `pixel_coords` and the pair's diff boxes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from zeroplay.data.clevr.scene import Scene, SceneObject

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Visibility:
    """`labels[r, c]` is the index of the object seen at that pixel, or -1 for the ground."""

    labels: np.ndarray

    def pixel_counts(self, n_objects: int) -> list[int]:
        counts = np.bincount(self.labels[self.labels >= 0].ravel(), minlength=n_objects)
        return [int(c) for c in counts[:n_objects]]

    def box(self, index: int) -> Box | None:
        """Visible pixel box (left, top, right, bottom), right/bottom exclusive; None if hidden."""
        rows, cols = np.nonzero(self.labels == index)
        if rows.size == 0:
            return None
        return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


def _slab(origin: np.ndarray, dirs: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, ...]:
    """Entry and exit distances of rays through the slab lo <= p <= hi along one axis."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (lo - origin) / dirs
        t2 = (hi - origin) / dirs
    parallel = dirs == 0.0
    inside = (origin >= lo) & (origin <= hi)
    near = np.where(parallel, np.where(inside, -np.inf, np.inf), np.minimum(t1, t2))
    far = np.where(parallel, np.where(inside, np.inf, -np.inf), np.maximum(t1, t2))
    return near, far


def _quadratic(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Roots t_near <= t_far of a t^2 + b t + c = 0; (inf, -inf) where there is none."""
    disc = b * b - 4.0 * a * c
    ok = (disc >= 0.0) & (a > 1e-12)
    root = np.sqrt(np.where(ok, disc, 0.0))
    safe_a = np.where(ok, a, 1.0)
    near = np.where(ok, (-b - root) / (2.0 * safe_a), np.inf)
    far = np.where(ok, (-b + root) / (2.0 * safe_a), -np.inf)
    return near, far


def hit_distance(obj: SceneObject, origin: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """Distance to the first hit on `obj` for each ray (inf on a miss); dirs has shape (N, 3).

    Each solid is an intersection of convex pieces, so the hit is the largest entry distance,
    valid when it is not beyond the smallest exit distance.
    """
    cx, cy, cz = obj.center
    local_o = origin - np.array([cx, cy, 0.0])
    if obj.shape == "sphere":
        oc = origin - np.array([cx, cy, cz])
        a = np.einsum("ij,ij->i", dirs, dirs)
        b = 2.0 * dirs @ oc
        c = np.full_like(a, oc @ oc - obj.radius**2)
        near, far = _quadratic(a, b, c)
    elif obj.shape == "cylinder":
        a = dirs[:, 0] ** 2 + dirs[:, 1] ** 2
        b = 2.0 * (local_o[0] * dirs[:, 0] + local_o[1] * dirs[:, 1])
        c = np.full_like(a, local_o[0] ** 2 + local_o[1] ** 2 - obj.radius**2)
        side_near, side_far = _quadratic(a, b, c)
        # A vertical ray never crosses the side: it is inside the tube everywhere or nowhere.
        vertical = a <= 1e-12
        side_near = np.where(vertical, np.where(c <= 0.0, -np.inf, np.inf), side_near)
        side_far = np.where(vertical, np.where(c <= 0.0, np.inf, -np.inf), side_far)
        cap_near, cap_far = _slab(np.full_like(a, local_o[2]), dirs[:, 2], 0.0, 2.0 * cz)
        near, far = np.maximum(side_near, cap_near), np.minimum(side_far, cap_far)
    elif obj.shape == "cube":
        # Turn the rays into the cube's frame (the inverse of its rotation about z).
        angle = -math.radians(obj.rotation)
        cos, sin = math.cos(angle), math.sin(angle)
        ox = cos * local_o[0] - sin * local_o[1]
        oy = sin * local_o[0] + cos * local_o[1]
        dx = cos * dirs[:, 0] - sin * dirs[:, 1]
        dy = sin * dirs[:, 0] + cos * dirs[:, 1]
        near, far = np.full(len(dirs), -np.inf), np.full(len(dirs), np.inf)
        for o, d, lo, hi in (
            (ox, dx, -cz, cz),
            (oy, dy, -cz, cz),
            (local_o[2], dirs[:, 2], 0.0, 2.0 * cz),
        ):
            slab_near, slab_far = _slab(np.full(len(dirs), o), d, lo, hi)
            near, far = np.maximum(near, slab_near), np.minimum(far, slab_far)
    else:
        raise ValueError(f"unknown shape {obj.shape!r}")
    hit = (near <= far) & (near > 0.0)
    return np.where(hit, near, np.inf)


def cast(scene: Scene) -> Visibility:
    """Label every pixel centre of the scene's camera with the first object it hits."""
    camera = scene.camera
    dirs = camera.pixel_rays().reshape(-1, 3)
    origin = np.array(camera.position, dtype=np.float64)
    labels = np.full(len(dirs), -1, dtype=np.int16)
    nearest = np.full(len(dirs), np.inf)
    for index, obj in enumerate(scene.objects):
        dist = hit_distance(obj, origin, dirs)
        closer = dist < nearest
        labels[closer] = index
        nearest[closer] = dist[closer]
    return Visibility(labels.reshape(camera.height, camera.width))
