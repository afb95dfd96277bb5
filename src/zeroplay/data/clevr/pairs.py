"""CLEVR-style image pairs: sample a scene, edit it, render both with the same noise seed."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from zeroplay.data.clevr.clevr_json import scene_json
from zeroplay.data.clevr.denoise import denoise
from zeroplay.data.clevr.edits import (
    DEFAULT_EDIT_COUNT,
    ObjectChange,
    SceneEdit,
    apply_edit,
    check_edit,
)
from zeroplay.data.clevr.flat import FlatRenderer
from zeroplay.data.clevr.raycast import Visibility, cast
from zeroplay.data.clevr.render import MitsubaRenderer, RenderConfig
from zeroplay.data.clevr.scene import Scene, SceneConfig, sample_layout
from zeroplay.data.layout import pair_id, pair_paths, write_json_atomic, write_png_atomic
from zeroplay.data.regions import Box, union_box
from zeroplay.data.runner import PairOutcome
from zeroplay.data.seeding import draw_seed, pair_rng

EDIT_TRIES = 20


@dataclass(frozen=True)
class ClevrPairConfig:
    """Settings of a CLEVR pair run. `edits` lists the kinds to draw from (uniformly per pair);
    `edit_count` overrides how many objects an edit touches (default: 2 for color_shape as in
    Vision-Zero, 1 for the others); `renderer` picks Mitsuba or the flat renderer."""

    seed: int = 0
    scene: SceneConfig = field(default_factory=SceneConfig)
    render: RenderConfig = field(default_factory=RenderConfig)
    edits: tuple[str, ...] = ("color_shape",)
    edit_count: int | None = None
    denoise: bool = True
    # "mitsuba": path-traced (realistic); "flat": the fast numpy renderer (`flat.py`).
    renderer: str = "mitsuba"

    def __post_init__(self) -> None:
        if self.renderer not in ("mitsuba", "flat"):
            raise ValueError(f"renderer must be mitsuba or flat, got {self.renderer!r}")
        if not self.edits:
            raise ValueError("need at least one edit kind")
        for kind in self.edits:
            check_edit(kind, self.count_for(kind))

    def count_for(self, kind: str) -> int:
        return self.edit_count if self.edit_count is not None else DEFAULT_EDIT_COUNT[kind]


@dataclass(frozen=True)
class ScenePair:
    """An accepted original/edited scene pair with each scene's pixel labels."""

    original: Scene
    edit: SceneEdit
    original_visibility: Visibility
    modified_visibility: Visibility
    render_seed: int


def all_visible(scene: Scene, visibility: Visibility, config: SceneConfig) -> bool:
    threshold = config.visible_pixel_threshold()
    return all(c >= threshold for c in visibility.pixel_counts(len(scene.objects)))


def sample_pair(config: ClevrPairConfig, index: int) -> ScenePair:
    """Draw scenes and edits from pair `index`'s stream until both scenes pass the placement
    and visibility checks (pure numpy: nothing is rendered for rejected scenes)."""
    rng = pair_rng(config.seed, index)
    for _ in range(config.scene.max_attempts):
        scene = sample_layout(rng, config.scene)
        if scene is None:
            continue
        visibility = cast(scene)
        if not all_visible(scene, visibility, config.scene):
            continue
        kind = config.edits[rng.integers(len(config.edits))]
        for _ in range(EDIT_TRIES):
            edit = apply_edit(scene, kind, config.count_for(kind), rng, config.scene)
            if edit is None:
                continue
            modified_visibility = cast(edit.modified)
            if all_visible(edit.modified, modified_visibility, config.scene):
                return ScenePair(scene, edit, visibility, modified_visibility, draw_seed(rng))
    raise RuntimeError(
        f"no valid scene pair after {config.scene.max_attempts} scenes; "
        "lower the object count or the visibility threshold"
    )


def change_boxes(pair: ScenePair, change: ObjectChange) -> list[Box]:
    """Pixel boxes of one change: the union of the object's boxes in both images when it stays
    in place, and separate old and new boxes when it moves."""
    before = (
        pair.original_visibility.box(change.original_index)
        if change.original_index is not None
        else None
    )
    after = (
        pair.modified_visibility.box(change.modified_index)
        if change.modified_index is not None
        else None
    )
    if "position" in change.changed:
        return [box for box in (before, after) if box is not None]
    boxes = [box for box in (before, after) if box is not None]
    return [union_box(boxes)] if boxes else []


def diff_json(pair: ScenePair, pid: str) -> dict[str, Any]:
    """What changed between the two scenes, with object attributes and pixel boxes."""
    changes = []
    for change in pair.edit.changes:
        before = (
            _described(pair.original, change.original_index)
            if change.original_index is not None
            else None
        )
        after = (
            _described(pair.edit.modified, change.modified_index)
            if change.modified_index is not None
            else None
        )
        changes.append(
            {
                "original_index": change.original_index,
                "modified_index": change.modified_index,
                "changed": list(change.changed),
                "before": before,
                "after": after,
                "boxes": [list(box) for box in change_boxes(pair, change)],
            }
        )
    camera = pair.original.camera
    return {
        "id": pid,
        "domain": "clevr",
        "edit": pair.edit.kind,
        "width": camera.width,
        "height": camera.height,
        "changes": changes,
        "boxes": [box for change in changes for box in change["boxes"]],
    }


def _described(scene: Scene, index: int) -> dict[str, Any]:
    obj = scene.objects[index]
    return {**obj.attributes(), "3d_coords": [round(c, 6) for c in obj.center]}


class ClevrPairMaker:
    """Makes CLEVR pairs; `start` loads the renderer (Mitsuba: once per process)."""

    domain = "clevr"

    def __init__(self, config: ClevrPairConfig) -> None:
        self.config = config
        self._renderer: MitsubaRenderer | FlatRenderer | None = None

    def settings(self) -> dict[str, Any]:
        return asdict(self.config)

    def start(self) -> None:
        if self._renderer is None:
            if self.config.renderer == "flat":
                self._renderer = FlatRenderer()
            else:
                self._renderer = MitsubaRenderer(self.config.render)

    def __getstate__(self) -> dict[str, Any]:
        # Workers build their own renderer; a loaded Mitsuba does not pickle.
        return {"config": self.config, "_renderer": None}

    def render(self, scene: Scene, visibility: Visibility, seed: int) -> np.ndarray:
        assert self._renderer is not None, "call start() first"
        image = self._renderer.render(scene, seed)
        if self.config.renderer == "flat":
            return image  # noise-free: nothing to denoise
        return denoise(image, visibility.labels) if self.config.denoise else image

    def make(self, index: int, folder: Path) -> PairOutcome:
        self.start()
        assert self._renderer is not None
        pair = sample_pair(self.config, index)
        pid = pair_id(index)
        paths = pair_paths(folder, pid)
        render_info = {
            "variant": self._renderer.variant,
            "spp": self.config.render.spp,
            "max_depth": self.config.render.max_depth,
            "denoise": self.config.denoise,
            "seed": pair.render_seed,
        }
        for scene, visibility, png, json_path in (
            (pair.original, pair.original_visibility, paths.original, paths.original_json),
            (pair.edit.modified, pair.modified_visibility, paths.modified, paths.modified_json),
        ):
            write_png_atomic(png, self.render(scene, visibility, pair.render_seed))
            write_json_atomic(
                json_path, scene_json(scene, visibility, png.name, index, render_info)
            )
        write_json_atomic(paths.diff, diff_json(pair, pid))
        return PairOutcome(index, made=True, edit=pair.edit.kind)
