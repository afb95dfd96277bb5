"""The `spot-the-difference` suite: which object, or which property, changed between two images.

Pair i is the data layer's CLEVR pair i (`ClevrPairMaker`, every edit kind): an original scene
and an edited copy rendered with the same noise, with both scene JSONs and the diff JSON. Each
pair gives one multiple-choice question, shown with the original image first:

| edit                       | question                                                   |
|----------------------------|------------------------------------------------------------|
| attribute (one property)   | which property changed (color / shape / size / material),  |
|                            | or which object changed                                    |
| color_shape (two objects)  | which object in the first image was changed                |
| remove / add / move        | which object is missing / is new / moved                   |

Objects are named by all four attributes; the wrong options are objects the edit left alone.
A pair whose changed object looks exactly like an untouched one is skipped (the question would
be ambiguous), as is one with no untouched object to offer as a wrong option.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from zeroplay.data.clevr.edits import EDIT_KINDS
from zeroplay.data.clevr.pairs import ClevrPairConfig, ClevrPairMaker
from zeroplay.data.clevr.render import RenderConfig
from zeroplay.data.layout import pair_id, pair_paths
from zeroplay.eval.suites.clevr_language import full_filter, phrase
from zeroplay.eval.suites.clevr_qa import scene_config
from zeroplay.eval.suites.common import (
    Progress,
    SuiteOptions,
    relative,
    start_suite,
    suite_meta,
    write_suite,
)

NAME = "spot-the-difference"
PROPERTIES: tuple[str, ...] = ("color", "shape", "size", "material")
MAX_WRONG_OPTIONS = 3
QUESTION_STREAM = 1  # the question's random stream is (seed, index, 1); the pair's is (seed, index)
INTRO = "The two images show the same scene, except for one edit."
WHICH_OBJECT: dict[str, str] = {
    "attribute": "Which object in the first image was changed in the second image?",
    "color_shape": "Which object in the first image was changed in the second image?",
    "remove": "Which object in the first image is missing from the second image?",
    "add": "Which object in the second image is not in the first image?",
    "move": "Which object moved to a different place between the two images?",
}
WHICH_PROPERTY = "One object was changed. Which of its properties changed?"


@dataclass(frozen=True)
class SpotQuestion:
    form: str  # "which_property" or "which_object"
    text: str
    choices: tuple[str, ...]
    answer: str  # the correct option's text


def _shuffled(rng: np.random.Generator, options: list[str]) -> tuple[str, ...]:
    return tuple(options[int(i)] for i in rng.permutation(len(options)))


def _which_object(
    diff: dict[str, Any],
    original: list[dict[str, Any]],
    modified: list[dict[str, Any]],
    rng: np.random.Generator,
) -> SpotQuestion | None:
    changes = diff["changes"]
    change = changes[int(rng.integers(len(changes)))]
    if change["original_index"] is not None:
        target = phrase(full_filter(original[change["original_index"]]))
    else:
        target = phrase(full_filter(modified[change["modified_index"]]))
    touched = {c["original_index"] for c in changes if c["original_index"] is not None}
    untouched = [phrase(full_filter(o)) for i, o in enumerate(original) if i not in touched]
    if target in untouched:
        return None
    wrong = sorted(set(untouched))
    if not wrong:
        return None
    picked = [wrong[int(i)] for i in rng.permutation(len(wrong))[:MAX_WRONG_OPTIONS]]
    text = f"{INTRO} {WHICH_OBJECT[diff['edit']]}"
    return SpotQuestion("which_object", text, _shuffled(rng, [target, *picked]), target)


def ask_about_pair(
    diff: dict[str, Any],
    original: list[dict[str, Any]],
    modified: list[dict[str, Any]],
    rng: np.random.Generator,
) -> SpotQuestion | None:
    """The question for one pair (see the module docstring), or None to skip the pair."""
    if diff["edit"] == "attribute" and rng.random() < 0.5:
        (changed,) = diff["changes"][0]["changed"]
        text = f"{INTRO} {WHICH_PROPERTY}"
        return SpotQuestion("which_property", text, _shuffled(rng, list(PROPERTIES)), changed)
    return _which_object(diff, original, modified, rng)


def make_spot_the_difference(
    options: SuiteOptions, out: Path, progress: Progress | None = None
) -> int:
    """Write the suite to `out` (JSONL) and its pair files beside it; returns the item count."""
    folder = start_suite(out)
    config = ClevrPairConfig(
        seed=options.seed,
        scene=scene_config(options),
        render=RenderConfig(spp=options.spp, variant=options.variant),
        edits=EDIT_KINDS,
    )
    maker = ClevrPairMaker(config)
    items: list[dict[str, Any]] = []
    index = 0
    while len(items) < options.n:
        if index >= 20 * options.n:
            raise RuntimeError("too many ambiguous pairs; use larger scenes or another seed")
        maker.make(index, folder)
        paths = pair_paths(folder, pair_id(index))
        diff = json.loads(paths.diff.read_text())
        original = json.loads(paths.original_json.read_text())["objects"]
        modified = json.loads(paths.modified_json.read_text())["objects"]
        rng = np.random.default_rng(np.random.SeedSequence([options.seed, index, QUESTION_STREAM]))
        question = ask_about_pair(diff, original, modified, rng)
        if question is not None:
            items.append(
                {
                    "id": f"{NAME}-{index:06d}",
                    "image": [relative(paths.original, out), relative(paths.modified, out)],
                    "question": question.text,
                    "choices": list(question.choices),
                    "answer": question.answer,
                    "answer_type": "choice",
                    "category": f"{diff['edit']}/{question.form}",
                    "meta": suite_meta(
                        NAME,
                        options,
                        edit=diff["edit"],
                        diff=relative(paths.diff, out),
                        spec_original=relative(paths.original_json, out),
                        spec_modified=relative(paths.modified_json, out),
                    ),
                }
            )
            if progress:
                progress(1)
        else:
            # A skipped pair leaves no files behind.
            for path in (paths.original, paths.modified, paths.original_json, paths.modified_json):
                path.unlink(missing_ok=True)
            paths.diff.unlink(missing_ok=True)
        index += 1
    write_suite(out, items)
    return len(items)
