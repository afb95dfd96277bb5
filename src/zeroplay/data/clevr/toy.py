"""The toy's image domain: small flat-shaded CLEVR-style scenes of two or three objects.

The same settings make the warm-start corpus, the self-play pairs and the held-out suites (each
with its own seeds, see `seeds`), so the evaluation measures the domain the model was trained in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from zeroplay.data.clevr.flat import FlatRenderer
from zeroplay.data.clevr.pairs import ClevrPairConfig, ClevrPairMaker
from zeroplay.data.clevr.scene import Scene, SceneConfig
from zeroplay.data.seed_spaces import training_seed

WIDTH, HEIGHT = 168, 126

TOY_SCENE = SceneConfig(
    min_objects=2,
    max_objects=3,
    width=WIDTH,
    height=HEIGHT,
    # Zoomed in (24 degrees, objects within +-1.5): a small object still spans ~20 px, which a
    # from-scratch vision tower learns to read; at CLEVR's framing it learned colours at chance.
    extent=1.5,
    min_dist=0.15,
    margin=0.3,
    fov_x=24.0,
    camera_jitter=0.3,
    min_visible_pixels=250,
)


def toy_pair_config(seed: int) -> ClevrPairConfig:
    """Vision-Zero's default edit (two objects change colour and shape) on toy scenes."""
    return ClevrPairConfig(seed=seed, scene=TOY_SCENE, edits=("color_shape",), renderer="flat")


def toy_pair_maker(seed: int, width: int = WIDTH, height: int = HEIGHT) -> ClevrPairMaker:
    """Self-play pairs in the toy's domain: user seed `seed` is mapped into the training seed
    space, so these pairs are never warm-start or evaluation pairs."""
    config = toy_pair_config(training_seed(seed))
    return ClevrPairMaker(replace(config, scene=replace(TOY_SCENE, width=width, height=height)))


def renderer() -> FlatRenderer:
    return FlatRenderer()


def object_phrase(obj: Any) -> str:
    """'a red cube' for a scene object or a CLEVR JSON object."""
    color = obj["color"] if isinstance(obj, dict) else obj.color
    shape = obj["shape"] if isinstance(obj, dict) else obj.shape
    return f"a {color} {shape}"


def left_to_right(scene: Scene) -> list[int]:
    """Object indices ordered by their image column (left first)."""
    columns = [scene.camera.project(obj.center)[0] for obj in scene.objects]
    return sorted(range(len(columns)), key=lambda i: columns[i])


def join_phrases(phrases: Sequence[str]) -> str:
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def describe(scene: Scene) -> str:
    """Every object, left to right: 'a red cube, a blue sphere and a green cylinder'."""
    return join_phrases([object_phrase(scene.objects[i]) for i in left_to_right(scene)])
