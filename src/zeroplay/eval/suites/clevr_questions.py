"""Questions with exact answers over a CLEVR scene JSON, in seven families.

| family             | example                                              | answer        |
|--------------------|------------------------------------------------------|---------------|
| count              | How many large cubes are there?                      | a number      |
| exist              | Are there any small red metal objects?               | yes / no      |
| query_attribute    | What color is the large sphere?                      | a word        |
| compare_count      | Are there more cubes than red objects?               | yes / no      |
| compare_attribute  | Does the red cube have the same size as the sphere?  | yes / no      |
| spatial            | Is the blue cylinder left of the small sphere?       | yes / no      |
| spatial_count      | How many objects are behind the green cube?          | a number      |

An object named with "the" is described by the shortest filter that matches it alone, so every
reference is unambiguous. Spatial words follow CLEVR's `relationships` (camera-relative, with
CLEVR's 0.2 margin; the scene generator keeps objects further apart than that along both axes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from zeroplay.data.clevr.vocab import ATTRIBUTES, attribute_values
from zeroplay.eval.suites.clevr_language import (
    PHRASE_ORDER,
    SYNONYMS,
    count,
    full_filter,
    phrase,
    unique_filter,
)
from zeroplay.eval.suites.common import distinct_questions

RELATION_PHRASES: dict[str, str] = {
    "left": "left of",
    "right": "right of",
    "front": "in front of",
    "behind": "behind",
}
COLOR_SYNONYMS: dict[str, tuple[str, ...]] = {"gray": ("grey",)}


@dataclass(frozen=True)
class Question:
    family: str
    text: str
    answer: str
    answer_type: str
    accept: tuple[str, ...] = ()


Scene = Mapping[str, Any]
Generator = Callable[[Scene, np.random.Generator], Question | None]
Referable = tuple[int, dict[str, str]]  # an object's index and the filter that names it


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _pick(rng: np.random.Generator, options: list[Any]) -> Any:
    return options[int(rng.integers(len(options)))]


def _random_filter(
    objects: list[Any], rng: np.random.Generator, size: int, existing: bool
) -> dict[str, str]:
    """A filter on `size` attributes: taken from a random object (it matches at least one) or
    drawn from the vocabulary (it may match none)."""
    attributes = [PHRASE_ORDER[i] for i in sorted(rng.choice(4, size=size, replace=False))]
    if existing:
        source = full_filter(_pick(rng, objects))
        return {a: source[a] for a in attributes}
    return {a: _pick(rng, list(attribute_values(a))) for a in attributes}


def _referable(objects: list[Any]) -> list[Referable]:
    """(index, unique filter) of every object that a phrase can single out."""
    found = []
    for index in range(len(objects)):
        flt = unique_filter(objects, index)
        if flt is not None:
            found.append((index, flt))
    return found


def ask_count(scene: Scene, rng: np.random.Generator) -> Question:
    objects = scene["objects"]
    flt = _random_filter(objects, rng, int(rng.integers(1, 3)), existing=rng.random() < 0.75)
    text = f"How many {phrase(flt, plural=True)} are there?"
    return Question("count", text, str(count(objects, flt)), "number")


def ask_exist(scene: Scene, rng: np.random.Generator) -> Question:
    objects = scene["objects"]
    flt = _random_filter(objects, rng, int(rng.integers(2, 4)), existing=rng.random() < 0.5)
    text = f"Are there any {phrase(flt, plural=True)}?"
    return Question("exist", text, yes_no(count(objects, flt) > 0), "yesno")


def ask_query_attribute(scene: Scene, rng: np.random.Generator) -> Question | None:
    objects = scene["objects"]
    options = [(i, f) for i, f in _referable(objects) if len(f) < len(ATTRIBUTES)]
    if not options:
        return None
    index, flt = _pick(rng, options)
    attribute = _pick(rng, [a for a in PHRASE_ORDER if a not in flt])
    value = str(objects[index][attribute])
    accept = SYNONYMS.get(value, ()) + COLOR_SYNONYMS.get(value, ())
    text = f"What {attribute} is the {phrase(flt)}?"
    return Question("query_attribute", text, value, "text", accept)


def ask_compare_count(scene: Scene, rng: np.random.Generator) -> Question | None:
    objects = scene["objects"]
    first = _random_filter(objects, rng, 1, existing=True)
    second = _random_filter(objects, rng, 1, existing=True)
    if first == second:
        return None
    a, b = phrase(first, plural=True), phrase(second, plural=True)
    count_a, count_b = count(objects, first), count(objects, second)
    form = _pick(rng, ["more", "fewer", "same"])
    if form == "more":
        return Question(
            "compare_count", f"Are there more {a} than {b}?", yes_no(count_a > count_b), "yesno"
        )
    if form == "fewer":
        return Question(
            "compare_count", f"Are there fewer {a} than {b}?", yes_no(count_a < count_b), "yesno"
        )
    text = f"Are there the same number of {a} and {b}?"
    return Question("compare_count", text, yes_no(count_a == count_b), "yesno")


def _two_referable(
    objects: list[Any], rng: np.random.Generator
) -> tuple[Referable, Referable] | None:
    options = _referable(objects)
    if len(options) < 2:
        return None
    i, j = (int(k) for k in rng.choice(len(options), size=2, replace=False))
    return options[i], options[j]


def ask_compare_attribute(scene: Scene, rng: np.random.Generator) -> Question | None:
    objects = scene["objects"]
    pair = _two_referable(objects, rng)
    if pair is None:
        return None
    (i, fi), (j, fj) = pair
    free = [a for a in PHRASE_ORDER if a not in fi and a not in fj]
    if not free:
        return None
    attribute = _pick(rng, free)
    same = objects[i][attribute] == objects[j][attribute]
    text = f"Does the {phrase(fi)} have the same {attribute} as the {phrase(fj)}?"
    return Question("compare_attribute", text, yes_no(same), "yesno")


def ask_spatial(scene: Scene, rng: np.random.Generator) -> Question | None:
    pair = _two_referable(scene["objects"], rng)
    if pair is None:
        return None
    (i, fi), (j, fj) = pair
    relation = _pick(rng, list(RELATION_PHRASES))
    # relationships[rel][j] lists the objects that are `rel` of object j (CLEVR's convention).
    holds = i in scene["relationships"][relation][j]
    text = f"Is the {phrase(fi)} {RELATION_PHRASES[relation]} the {phrase(fj)}?"
    return Question("spatial", text, yes_no(holds), "yesno")


def ask_spatial_count(scene: Scene, rng: np.random.Generator) -> Question | None:
    options = _referable(scene["objects"])
    if not options:
        return None
    j, fj = _pick(rng, options)
    relation = _pick(rng, list(RELATION_PHRASES))
    answer = len(scene["relationships"][relation][j])
    text = f"How many objects are {RELATION_PHRASES[relation]} the {phrase(fj)}?"
    return Question("spatial_count", text, str(answer), "number")


FAMILIES: dict[str, Generator] = {
    "count": ask_count,
    "exist": ask_exist,
    "query_attribute": ask_query_attribute,
    "compare_count": ask_compare_count,
    "compare_attribute": ask_compare_attribute,
    "spatial": ask_spatial,
    "spatial_count": ask_spatial_count,
}


def ask_about_scene(scene: Scene, rng: np.random.Generator, k: int) -> list[Question]:
    """Up to `k` distinct questions, from different families while families last."""
    return distinct_questions(FAMILIES, scene, rng, k)
