"""Reading model-written CLEVR questions back into the generator's families, with exact answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeroplay.data.clevr.clevr_json import scene_json
from zeroplay.data.clevr.toy import TOY_SCENE
from zeroplay.data.seeding import pair_rng
from zeroplay.eval.suites.clevr_qa import sample_visible_scene
from zeroplay.eval.suites.clevr_questions import FAMILIES
from zeroplay.eval.suites.clevr_reading import noun_phrase, read_question, same_answer


def _scene(index: int) -> dict:
    rng = pair_rng(12345, index)
    scene, visibility = sample_visible_scene(rng, TOY_SCENE)
    return scene_json(scene, visibility, "x.png", index, {}, split="test")


def test_every_generated_question_reads_back_to_its_own_answer():
    """The generator's questions (every family, 150 toy scenes) are read to the same answer."""
    read = 0
    for index in range(150):
        scene = _scene(index)
        rng = np.random.default_rng(index)
        for family, ask in FAMILIES.items():
            question = ask(scene, rng)
            if question is None:
                continue
            reading = read_question(question.text, scene)
            assert reading.family == family, question.text
            assert reading.answer == question.answer, question.text
            read += 1
    assert read > 700


# Two small objects, so "the small object" names none; one red rubber cube at the left.
SCENE = {
    "objects": [
        {"shape": "cube", "color": "red", "material": "rubber", "size": "large"},
        {"shape": "sphere", "color": "blue", "material": "metal", "size": "small"},
        {"shape": "cylinder", "color": "blue", "material": "rubber", "size": "small"},
    ],
    # relationships[rel][j]: the objects that are `rel` of object j (left to right: 0, 1, 2)
    "relationships": {
        "left": [[], [0], [0, 1]],
        "right": [[1, 2], [2], []],
        "front": [[1], [], [0, 1]],
        "behind": [[2], [0, 2], []],
    },
}


@pytest.mark.parametrize(
    "question, family, answer",
    [
        ("How many blue objects are there?", "count", "2"),
        ("How many blue object?", "count", "2"),  # singular, no "are there"
        ("how many  BALLS are there ?", "count", "1"),  # synonym, spacing, case
        ("Are there any small blue object?", "exist", "yes"),
        ("Are there any red metal objects?", "exist", "no"),
        ("Are there any sphere objects?", "exist", "yes"),  # a shape word before "objects"
        ("Are there more blue objects than cubes?", "compare_count", "yes"),
        ("Are there fewer blue objects than cubes?", "compare_count", "no"),
        ("Are there the same number of spheres and cylinders?", "compare_count", "yes"),
        ("What color is the large object?", "query_attribute", "red"),
        ("What colour is the sphere?", "query_attribute", "blue"),
        ("Does the cube have the same material as the cylinder?", "compare_attribute", "yes"),
        ("Is the cube have the same size as sphere?", "compare_attribute", "no"),
        ("Is the sphere left of the cylinder?", "spatial", "yes"),
        ("Is the cube behind the sphere?", "spatial", "yes"),
        ("How many objects are right of the cube?", "spatial_count", "2"),
        ("How many blue objects are left of the cylinder?", "spatial_count", "1"),
        ("How many objects have the same color as the sphere?", "count_same", "1"),
        ("How many rubber objects have the same size as the cube?", "count_same", "0"),
    ],
)
def test_lenient_forms_read_exactly(question: str, family: str, answer: str):
    reading = read_question(question, SCENE)
    assert (reading.family, reading.answer) == (family, answer)


@pytest.mark.parametrize(
    "question, reason",
    [
        ("What color is the small object?", "not exactly one object"),  # two small objects
        ("Is the green object left of the cube?", "not exactly one object"),  # none
        ("What color is the red cube?", "already names"),
        ("Does the cube have the same color as the large object?", "itself"),
        ("Are there fewer metal objects?", "sentence forms"),  # a comparison with one side
        ("Is the large objects are there?", "sentence forms"),
        ("How many sphere cubes are there?", "sentence forms"),
        ("What is the meaning of this picture?", "sentence forms"),
    ],
)
def test_questions_that_cannot_be_checked_say_why(question: str, reason: str):
    reading = read_question(question, SCENE)
    assert reading.answer is None and not reading.checkable
    assert reason in reading.reason


def test_noun_phrases():
    assert noun_phrase("large red metal cubes") == {
        "shape": "cube",
        "size": "large",
        "color": "red",
        "material": "metal",
    }
    assert noun_phrase("shiny grey things") == {"material": "metal", "color": "gray"}
    assert noun_phrase("red blue cube") is None  # two colours
    assert noun_phrase("red") is None  # no noun
    assert noun_phrase("") is None


def test_same_answer():
    assert same_answer("Two", "2") and same_answer(" yes. ", "yes")
    assert same_answer("grey", "gray") and same_answer("ball", "sphere")
    assert not same_answer("3", "2") and not same_answer("", "no")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_reading_never_raises(text: str):
    reading = read_question(text, SCENE)
    assert reading.checkable == (reading.answer is not None)
