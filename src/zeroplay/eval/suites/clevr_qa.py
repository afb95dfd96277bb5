"""The `clevr-qa` suite: rendered CLEVR-style scenes and questions answered from their scene JSON.

Scene i is drawn from the stream (seed, i) with the data layer's scene sampler, accepted only
when every object is visible (the data layer's ray-cast check), rendered with Mitsuba and stored
with its CLEVR scene JSON. Its questions come from that JSON (`clevr_questions`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from zeroplay.data.clevr.clevr_json import scene_json
from zeroplay.data.clevr.denoise import denoise
from zeroplay.data.clevr.pairs import all_visible
from zeroplay.data.clevr.raycast import Visibility, cast
from zeroplay.data.clevr.render import MitsubaRenderer, RenderConfig
from zeroplay.data.clevr.scene import Scene, SceneConfig, sample_layout
from zeroplay.data.layout import write_json_atomic, write_png_atomic
from zeroplay.data.seeding import draw_seed, pair_rng
from zeroplay.eval.suites.clevr_questions import ask_about_scene
from zeroplay.eval.suites.common import (
    Progress,
    SuiteOptions,
    relative,
    start_suite,
    suite_meta,
    write_suite,
)

NAME = "clevr-qa"
DEFAULT_SIZE = (320, 240)


def scene_config(options: SuiteOptions) -> SceneConfig:
    return SceneConfig(
        width=options.width or DEFAULT_SIZE[0], height=options.height or DEFAULT_SIZE[1]
    )


def sample_visible_scene(rng: np.random.Generator, config: SceneConfig) -> tuple[Scene, Visibility]:
    """Draw layouts until one has every object visible (cheap: nothing is rendered)."""
    for _ in range(config.max_attempts):
        scene = sample_layout(rng, config)
        if scene is None:
            continue
        visibility = cast(scene)
        if all_visible(scene, visibility, config):
            return scene, visibility
    raise RuntimeError(
        f"no scene with all objects visible after {config.max_attempts} tries; "
        "use a larger image size"
    )


def scene_items(
    name: str,
    options: SuiteOptions,
    out: Path,
    index: int,
    png: Path,
    spec_path: Path,
    questions: list[Any],
    **meta: Any,
) -> list[dict[str, Any]]:
    """The suite items of scene `index`: one per question, naming its image and scene JSON."""
    return [
        {
            "id": f"{name}-{index:06d}-{number}",
            "image": relative(png, out),
            "question": question.text,
            "answer": question.answer,
            "answer_type": question.answer_type,
            "accept": list(question.accept),
            "category": question.family,
            "meta": suite_meta(name, options, spec=relative(spec_path, out), **meta),
        }
        for number, question in enumerate(questions)
    ]


def make_clevr_qa(options: SuiteOptions, out: Path, progress: Progress | None = None) -> int:
    """Write the suite to `out` (JSONL) and its files beside it; returns the item count."""
    folder = start_suite(out)
    config = scene_config(options)
    render = RenderConfig(spp=options.spp, variant=options.variant)
    renderer = MitsubaRenderer(render)
    items: list[dict[str, Any]] = []
    index = 0
    # Count and existence questions always exist, so every scene adds at least one item.
    while len(items) < options.n:
        rng = pair_rng(options.seed, index)
        scene, visibility = sample_visible_scene(rng, config)
        render_seed = draw_seed(rng)
        image = denoise(renderer.render(scene, render_seed), visibility.labels)
        png = folder / f"scene_{index:06d}.png"
        spec_path = folder / f"scene_{index:06d}.json"
        render_info = {"variant": renderer.variant, "spp": options.spp, "seed": render_seed}
        spec = scene_json(scene, visibility, png.name, index, render_info, split=NAME)
        write_png_atomic(png, image)
        write_json_atomic(spec_path, spec)
        wanted = min(options.questions_per_image, options.n - len(items))
        added = scene_items(
            NAME, options, out, index, png, spec_path, ask_about_scene(spec, rng, wanted)
        )
        items.extend(added)
        if progress:
            progress(len(added))
        index += 1
    write_suite(out, items)
    return len(items)
