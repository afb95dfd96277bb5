"""Scene edits that turn an original scene into its modified twin.

`color_shape` is Vision-Zero's edit (paper A.2.2): pick 2 objects and give each a new colour
and a new shape, keeping position, size and material. Every shape of a size has the same
footprint radius, so this edit never creates an overlap. The other kinds change one attribute,
or remove, add or move objects.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from zeroplay.data.clevr.scene import (
    Scene,
    SceneConfig,
    SceneObject,
    place_object,
    placement_ok,
    random_attributes,
)
from zeroplay.data.clevr.vocab import ATTRIBUTES, attribute_values

EDIT_KINDS: tuple[str, ...] = ("color_shape", "attribute", "remove", "add", "move")
DEFAULT_EDIT_COUNT: dict[str, int] = {
    "color_shape": 2,
    "attribute": 1,
    "remove": 1,
    "add": 1,
    "move": 1,
}


@dataclass(frozen=True)
class ObjectChange:
    """One edited object: its index in each scene (None where it does not exist) and what
    changed (attribute names, or "position" / "added" / "removed")."""

    original_index: int | None
    modified_index: int | None
    changed: tuple[str, ...]


@dataclass(frozen=True)
class SceneEdit:
    kind: str
    modified: Scene
    changes: tuple[ObjectChange, ...]


def check_edit(kind: str, count: int) -> None:
    if kind not in EDIT_KINDS:
        raise ValueError(f"unknown scene edit {kind!r}; expected one of {EDIT_KINDS}")
    if count < 1:
        raise ValueError("an edit must touch at least one object")


def layout_ok(objects: tuple[SceneObject, ...], scene: Scene, config: SceneConfig) -> bool:
    """Every pair of objects satisfies the placement rule."""
    return all(
        placement_ok(obj, objects[:i], scene.camera, config) for i, obj in enumerate(objects)
    )


def _different(rng: np.random.Generator, attribute: str, current: str) -> str:
    choices = [value for value in attribute_values(attribute) if value != current]
    return choices[rng.integers(len(choices))]


def apply_edit(
    scene: Scene, kind: str, count: int, rng: np.random.Generator, config: SceneConfig
) -> SceneEdit | None:
    """Edit `count` objects of `scene`; None when this scene cannot take the edit (too few
    objects, or no free spot), in which case the caller draws a new scene."""
    check_edit(kind, count)
    objects = list(scene.objects)
    n = len(objects)
    if kind in ("color_shape", "attribute", "move") and count > n:
        return None
    if kind == "remove" and count >= n:
        return None
    chosen = sorted(int(i) for i in rng.choice(n, size=min(count, n), replace=False))
    changes: list[ObjectChange] = []
    if kind == "color_shape":
        for i in chosen:
            obj = objects[i]
            objects[i] = replace(
                obj,
                color=_different(rng, "color", obj.color),
                shape=_different(rng, "shape", obj.shape),
            )
            changes.append(ObjectChange(i, i, ("color", "shape")))
    elif kind == "attribute":
        for i in chosen:
            attribute = ATTRIBUTES[rng.integers(len(ATTRIBUTES))]
            obj = objects[i]
            objects[i] = replace(
                obj, **{attribute: _different(rng, attribute, getattr(obj, attribute))}
            )
            changes.append(ObjectChange(i, i, (attribute,)))
    elif kind == "remove":
        kept = [i for i in range(n) if i not in chosen]
        objects = [scene.objects[i] for i in kept]
        changes = [ObjectChange(i, None, ("removed",)) for i in chosen]
    elif kind == "add":
        for _ in range(count):
            added = place_object(rng, random_attributes(rng), objects, scene.camera, config)
            if added is None:
                return None
            objects.append(added)
            changes.append(ObjectChange(None, len(objects) - 1, ("added",)))
    else:  # move
        for i in chosen:
            moved = _move(rng, objects, i, scene, config)
            if moved is None:
                return None
            objects[i] = moved
            changes.append(ObjectChange(i, i, ("position",)))
    modified = scene.with_objects(tuple(objects))
    if not layout_ok(modified.objects, modified, config):
        return None
    return SceneEdit(kind, modified, tuple(changes))


def _move(
    rng: np.random.Generator, objects: list[SceneObject], i: int, scene: Scene, config: SceneConfig
) -> SceneObject | None:
    """A new spot for object i, clear of its old footprint so both places are visible."""
    obj = objects[i]
    others = objects[:i] + objects[i + 1 :]
    for _ in range(20):
        placed = place_object(rng, obj.attributes(), others, scene.camera, config, tries=10)
        if placed is None:
            continue
        if np.hypot(placed.x - obj.x, placed.y - obj.y) >= 2 * obj.radius + config.min_dist:
            return replace(placed, rotation=obj.rotation)
    return None
