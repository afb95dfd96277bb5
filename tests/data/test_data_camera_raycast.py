"""Camera conventions and the numpy ray caster, against hand-computed distances."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zeroplay.data.clevr.camera import CLEVR_FOV_X_DEGREES, Camera
from zeroplay.data.clevr.raycast import cast, hit_distance
from zeroplay.data.clevr.scene import Light, Scene, SceneObject

SIDE = Camera((10.0, 0.0, 0.0), (0.0, 0.0, 0.0), 60.0, 64, 48)
LARGE_HALF = 0.7 / math.sqrt(2.0)


def obj(shape: str, x: float = 0.0, y: float = 0.0, rotation: float = 0.0, size: str = "large"):
    return SceneObject(shape, "red", "rubber", size, x, y, rotation)


def rays(origin, direction):
    d = np.asarray([direction], dtype=float)
    return np.asarray(origin, dtype=float), d / np.linalg.norm(d, axis=1, keepdims=True)


def test_clevr_fov_is_35mm_lens_on_32mm_sensor():
    assert pytest.approx(49.134, abs=1e-3) == CLEVR_FOV_X_DEGREES


def test_basis_of_a_side_camera():
    forward, right, up = SIDE.basis()
    np.testing.assert_allclose(forward, [-1, 0, 0])
    np.testing.assert_allclose(right, [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(up, [0, 0, 1], atol=1e-12)


def test_project_target_and_offsets():
    column, row, depth = SIDE.project((0.0, 0.0, 0.0))
    assert (column, row, depth) == pytest.approx((32.0, 24.0, 10.0))
    # tan(30 deg) * 10 to the right lands on the right edge; upward points move up the image.
    column, row, _ = SIDE.project((0.0, 10 * math.tan(math.radians(30)), 0.0))
    assert column == pytest.approx(64.0)
    _, row, _ = SIDE.project((0.0, 0.0, 1.0))
    assert row < 24.0


def test_pixel_rays_match_projection():
    dirs = SIDE.pixel_rays()
    assert dirs.shape == (48, 64, 3)
    point = np.array(SIDE.position) + 7.0 * dirs[10, 50]
    column, row, _ = SIDE.project(tuple(point))
    assert (column, row) == pytest.approx((50.5, 10.5))


def test_ground_directions_follow_the_camera():
    directions = SIDE.ground_directions()
    assert directions["behind"] == pytest.approx([-1, 0, 0])
    assert directions["front"] == pytest.approx([1, 0, 0])
    assert directions["left"] == pytest.approx([0, -1, 0])
    assert directions["right"] == pytest.approx([0, 1, 0])
    assert directions["above"] == [0, 0, 1]


def test_sphere_hit_distance():
    origin, d = rays((10, 0, 0.7), (-1, 0, 0))
    assert hit_distance(obj("sphere"), origin, d)[0] == pytest.approx(9.3)


def test_cube_hit_face_and_rotated_corner():
    origin, d = rays((10, 0, 0.3), (-1, 0, 0))
    assert hit_distance(obj("cube"), origin, d)[0] == pytest.approx(10 - LARGE_HALF)
    # Turned by 45 degrees a corner points at the camera, at the bounding radius 0.7.
    assert hit_distance(obj("cube", rotation=45.0), origin, d)[0] == pytest.approx(9.3)


def test_cylinder_side_cap_and_miss():
    origin, d = rays((10, 0, 1.0), (-1, 0, 0))
    assert hit_distance(obj("cylinder"), origin, d)[0] == pytest.approx(9.3)
    origin, d = rays((0.1, 0.1, 10), (0, 0, -1))
    assert hit_distance(obj("cylinder"), origin, d)[0] == pytest.approx(10 - 1.4)
    origin, d = rays((10, 0, 1.5), (-1, 0, 0))
    assert hit_distance(obj("cylinder"), origin, d)[0] == math.inf


def test_cast_labels_nearest_object():
    camera = Camera((10.0, 0.0, 0.7), (0.0, 0.0, 0.7), 40.0, 32, 24)
    near, far = obj("sphere", x=2.0), obj("cube", x=-2.0)
    scene = Scene((far, near), camera, (Light("key", (0, 0, 9), 1, 1),))
    labels = cast(scene).labels
    assert labels[12, 16] == 1  # the centre ray meets the near sphere first
    assert labels[0, 0] == -1
    counts = cast(scene).pixel_counts(2)
    assert counts[1] > 0 and counts[0] == 0  # the cube hides behind the larger sphere
