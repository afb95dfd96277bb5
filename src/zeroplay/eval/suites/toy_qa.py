"""The `toy-qa` suite: questions about the toy model's flat-shaded scenes, held out by seed.

The same scene sampler, flat renderer and CLEVR question generator as the toy's warm-start
corpus, so it measures the domain the toy was trained in; the suite's seed N is mapped into
the evaluation seed space (`seed_spaces.eval_seed`), which no warm-start or training stream
uses, so no item can be a training item whatever N is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zeroplay.data.clevr.clevr_json import scene_json
from zeroplay.data.clevr.flat import FlatRenderer
from zeroplay.data.clevr.toy import TOY_SCENE
from zeroplay.data.layout import write_json_atomic, write_png_atomic
from zeroplay.data.seed_spaces import eval_seed
from zeroplay.data.seeding import pair_rng
from zeroplay.eval.suites.clevr_qa import sample_visible_scene, scene_items
from zeroplay.eval.suites.clevr_questions import ask_about_scene
from zeroplay.eval.suites.common import (
    Progress,
    SuiteOptions,
    start_suite,
    write_suite,
)

NAME = "toy-qa"
SUITE_INDEX = 1  # this suite's slot in the evaluation seed space


def make_toy_qa(options: SuiteOptions, out: Path, progress: Progress | None = None) -> int:
    """Write the suite to `out` (JSONL) and its files beside it; returns the item count."""
    folder = start_suite(out)
    seed = eval_seed(options.seed, SUITE_INDEX)
    renderer = FlatRenderer()
    items: list[dict[str, Any]] = []
    index = 0
    while len(items) < options.n:
        rng = pair_rng(seed, index)
        scene, visibility = sample_visible_scene(rng, TOY_SCENE)
        png = folder / f"scene_{index:06d}.png"
        spec_path = folder / f"scene_{index:06d}.json"
        spec = scene_json(
            scene, visibility, png.name, index, {"renderer": "flat", "seed": seed}, split=NAME
        )
        write_png_atomic(png, renderer.render(scene))
        write_json_atomic(spec_path, spec)
        wanted = min(options.questions_per_image, options.n - len(items))
        questions = ask_about_scene(spec, rng, wanted)
        added = scene_items(NAME, options, out, index, png, spec_path, questions, eval_seed=seed)
        items.extend(added)
        if progress:
            progress(len(added))
        index += 1
    write_suite(out, items)
    return len(items)
