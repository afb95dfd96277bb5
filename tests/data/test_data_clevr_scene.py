"""Scene sampling, CLEVR relationships and scene edits (pure numpy, no rendering)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from data_helpers import tiny_clevr_config

from zeroplay.data.clevr.camera import Camera
from zeroplay.data.clevr.clevr_json import relationships
from zeroplay.data.clevr.edits import EDIT_KINDS, apply_edit
from zeroplay.data.clevr.pairs import all_visible, sample_pair
from zeroplay.data.clevr.scene import Scene, SceneConfig, SceneObject, sample_layout
from zeroplay.data.clevr.vocab import COLORS, MATERIALS, SHAPES, SIZES, linear_rgb
from zeroplay.data.seeding import pair_rng


def _layout(seed: int, config: SceneConfig) -> Scene:
    rng = np.random.default_rng(seed)
    while True:
        scene = sample_layout(rng, config)
        if scene is not None:
            return scene


def test_linear_rgb_inverts_srgb():
    assert linear_rgb("gray")[0] == pytest.approx(((87 / 255 + 0.055) / 1.055) ** 2.4)
    assert linear_rgb("yellow")[0] == pytest.approx(1.0)


def test_visible_threshold_scales_with_area():
    assert SceneConfig().visible_pixel_threshold() == 100
    assert SceneConfig(width=640, height=480).visible_pixel_threshold() == 400
    assert SceneConfig(width=96, height=72).visible_pixel_threshold() == 9


@pytest.mark.parametrize("seed", range(5))
def test_layout_respects_clevr_placement(seed):
    config = SceneConfig()
    scene = _layout(seed, config)
    assert config.min_objects <= len(scene.objects) <= config.max_objects
    directions = scene.camera.ground_directions()
    for a, b in itertools.combinations(scene.objects, 2):
        assert a.shape in SHAPES and a.color in COLORS and a.material in MATERIALS
        assert a.size in SIZES
        gap = np.hypot(a.x - b.x, a.y - b.y) - a.radius - b.radius
        assert gap >= config.min_dist
        for axis in ("left", "behind"):
            vec = directions[axis]
            assert abs((a.x - b.x) * vec[0] + (a.y - b.y) * vec[1]) >= config.margin
    cam = np.array(scene.camera.position)
    assert np.all(np.abs(cam - np.array([7.36, -6.93, 4.96])) <= 0.5 + 1e-9)


def test_relationships_by_hand():
    # Camera on +x looking at the origin: "behind" is -x, "left" is -y.
    camera = Camera((10.0, 0.0, 5.0), (0.0, 0.0, 0.0), 50.0, 64, 48)
    a = SceneObject("cube", "red", "rubber", "small", 0.0, 0.0, 0.0)
    b = SceneObject("sphere", "red", "rubber", "small", 0.0, -2.0, 0.0)  # left of a
    c = SceneObject("sphere", "red", "rubber", "small", -2.0, 0.1, 0.0)  # behind a (0.1 < eps)
    rel = relationships(Scene((a, b, c), camera, ()))
    assert rel["left"] == [[1], [], [1]]
    assert rel["right"] == [[], [0, 2], []]
    assert rel["behind"] == [[2], [2], []]
    assert rel["front"] == [[], [], [0, 1]]


def test_sample_pair_is_deterministic_and_visible():
    config = tiny_clevr_config()
    first, again = sample_pair(config, 3), sample_pair(config, 3)
    assert first.original == again.original and first.edit == again.edit
    assert first.render_seed == again.render_seed
    assert sample_pair(config, 4).original != first.original
    assert all_visible(first.original, first.original_visibility, config.scene)
    assert all_visible(first.edit.modified, first.modified_visibility, config.scene)


def _scene_for_edits(seed: int = 11) -> Scene:
    return _layout(seed, SceneConfig(min_objects=5, max_objects=5))


def test_color_shape_edit_changes_exactly_two_objects():
    scene = _scene_for_edits()
    edit = apply_edit(scene, "color_shape", 2, pair_rng(0, 0), SceneConfig())
    assert edit is not None
    changed = [
        i
        for i, (a, b) in enumerate(zip(scene.objects, edit.modified.objects, strict=True))
        if a != b
    ]
    assert changed == sorted(c.original_index for c in edit.changes)
    assert len(changed) == 2
    for i in changed:
        a, b = scene.objects[i], edit.modified.objects[i]
        assert a.color != b.color and a.shape != b.shape
        assert (a.x, a.y, a.size, a.material, a.rotation) == (
            b.x,
            b.y,
            b.size,
            b.material,
            b.rotation,
        )


def test_attribute_edit_changes_one_attribute():
    scene = _scene_for_edits()
    for seed in range(6):
        edit = apply_edit(scene, "attribute", 1, pair_rng(seed, 0), SceneConfig())
        if edit is None:  # a size change that would overlap
            continue
        (change,) = edit.changes
        a, b = scene.objects[change.original_index], edit.modified.objects[change.modified_index]
        diffs = [
            k for k in ("shape", "color", "material", "size") if getattr(a, k) != getattr(b, k)
        ]
        assert diffs == list(change.changed)
        assert (a.x, a.y) == (b.x, b.y)


def test_remove_add_move_edits():
    scene, config = _scene_for_edits(), SceneConfig()
    removed = apply_edit(scene, "remove", 1, pair_rng(0, 1), config)
    assert removed is not None and len(removed.modified.objects) == 4
    gone = removed.changes[0].original_index
    assert removed.modified.objects == tuple(o for i, o in enumerate(scene.objects) if i != gone)
    added = apply_edit(scene, "add", 1, pair_rng(0, 2), config)
    if added is not None:
        assert added.modified.objects[:5] == scene.objects
        assert added.changes[0].modified_index == 5
    moved = apply_edit(scene, "move", 1, pair_rng(0, 3), config)
    assert moved is not None
    i = moved.changes[0].original_index
    a, b = scene.objects[i], moved.modified.objects[i]
    assert a.attributes() == b.attributes()
    assert np.hypot(a.x - b.x, a.y - b.y) >= 2 * a.radius + config.min_dist


def test_impossible_edits_return_none_and_unknown_kind_raises():
    scene, config = _scene_for_edits(), SceneConfig()
    assert apply_edit(scene, "remove", 5, pair_rng(0, 0), config) is None
    assert apply_edit(scene, "color_shape", 6, pair_rng(0, 0), config) is None
    with pytest.raises(ValueError):
        apply_edit(scene, "explode", 1, pair_rng(0, 0), config)
    assert set(EDIT_KINDS) == {"color_shape", "attribute", "remove", "add", "move"}
