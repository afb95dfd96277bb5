"""Synthetic suites: every generated answer is recomputed here, independently, from the stored
scene or chart spec, by parsing the question text (no code of the suite generators is used)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from zeroplay.eval.jsonl_format import load_jsonl
from zeroplay.eval.suites.common import SuiteOptions
from zeroplay.eval.suites.registry import make_suite

SIZES = {"large", "small"}
COLORS = {"gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow"}
MATERIALS = {"rubber", "metal"}
SHAPES = {"cube", "sphere", "cylinder"}
RELATIONS = {"left of": "left", "right of": "right", "in front of": "front", "behind": "behind"}
TINY_RENDER = {"width": 64, "height": 48, "spp": 1, "variant": "scalar_rgb"}


def read_items(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.read_text().splitlines()]


def load_spec(out: Path, item: dict[str, Any], key: str = "spec") -> dict[str, Any]:
    return json.loads((out.parent / item["meta"][key]).read_text())


# ---------------------------------------------------------------- CLEVR scenes


def parse_objects(words: str) -> dict[str, str]:
    """'large red metal cubes' -> {size, color, material, shape}; 'objects' -> {}."""
    found: dict[str, str] = {}
    *adjectives, noun = words.split()
    for word in adjectives:
        for attribute, vocabulary in (("size", SIZES), ("color", COLORS), ("material", MATERIALS)):
            if word in vocabulary:
                assert attribute not in found, words
                found[attribute] = word
        assert word in SIZES | COLORS | MATERIALS, words
    singular = noun[:-1] if noun.endswith("s") else noun
    if singular != "object":
        assert singular in SHAPES, words
        found["shape"] = singular
    return found


def members(scene: dict[str, Any], words: str) -> list[int]:
    wanted = parse_objects(words)
    return [
        i
        for i, obj in enumerate(scene["objects"])
        if all(obj[key] == value for key, value in wanted.items())
    ]


def the_one(scene: dict[str, Any], words: str) -> int:
    found = members(scene, words)
    assert len(found) == 1, f"'the {words}' must name exactly one object, names {found}"
    return found[0]


def relation_holds(scene: dict[str, Any], subject: int, relation: str, anchor: int) -> bool:
    """CLEVR: B is `relation` of A when (B - A) . direction > 0.2 (world units)."""
    b = scene["objects"][subject]["3d_coords"]
    a = scene["objects"][anchor]["3d_coords"]
    direction = scene["directions"][relation]
    return sum((bb - aa) * d for bb, aa, d in zip(b, a, direction, strict=True)) > 0.2


def yes(value: bool) -> str:
    return "yes" if value else "no"


def clevr_answer(question: str, scene: dict[str, Any]) -> str:
    if m := re.fullmatch(
        r"How many objects are (left of|right of|in front of|behind) the (.+)\?", question
    ):
        anchor = the_one(scene, m.group(2))
        relation = RELATIONS[m.group(1)]
        return str(
            sum(
                relation_holds(scene, i, relation, anchor)
                for i in range(len(scene["objects"]))
                if i != anchor
            )
        )
    if m := re.fullmatch(r"How many (.+) are there\?", question):
        return str(len(members(scene, m.group(1))))
    if m := re.fullmatch(r"Are there any (.+)\?", question):
        return yes(bool(members(scene, m.group(1))))
    if m := re.fullmatch(r"What (color|shape|size|material) is the (.+)\?", question):
        attribute = m.group(1)
        assert attribute not in parse_objects(m.group(2)), "the asked attribute is not given away"
        return scene["objects"][the_one(scene, m.group(2))][attribute]
    if m := re.fullmatch(r"Are there (more|fewer) (.+) than (.+)\?", question):
        a, b = len(members(scene, m.group(2))), len(members(scene, m.group(3)))
        return yes(a > b if m.group(1) == "more" else a < b)
    if m := re.fullmatch(r"Are there the same number of (.+) and (.+)\?", question):
        return yes(len(members(scene, m.group(1))) == len(members(scene, m.group(2))))
    if m := re.fullmatch(
        r"Does the (.+) have the same (color|shape|size|material) as the (.+)\?", question
    ):
        first, second = the_one(scene, m.group(1)), the_one(scene, m.group(3))
        assert first != second
        attribute = m.group(2)
        return yes(scene["objects"][first][attribute] == scene["objects"][second][attribute])
    if m := re.fullmatch(r"Is the (.+) (left of|right of|in front of|behind) the (.+)\?", question):
        subject, anchor = the_one(scene, m.group(1)), the_one(scene, m.group(3))
        assert subject != anchor
        return yes(relation_holds(scene, subject, RELATIONS[m.group(2)], anchor))
    raise AssertionError(f"unrecognised question {question!r}")


@pytest.mark.slow
def test_clevr_qa_answers_recomputed_from_scene_json(tmp_path: Path) -> None:
    out = tmp_path / "clevr.jsonl"
    options = SuiteOptions(n=30, seed=7, questions_per_image=5, **TINY_RENDER)
    assert make_suite("clevr-qa", options, out) == 30
    items = read_items(out)
    assert len({item["id"] for item in items}) == 30
    families = set()
    for item in items:
        scene = load_spec(out, item)
        assert (out.parent / item["image"]).is_file()
        assert clevr_answer(item["question"], scene) == item["answer"], item
        families.add(item["category"])
    assert families == {
        "count",
        "exist",
        "query_attribute",
        "compare_count",
        "compare_attribute",
        "spatial",
        "spatial_count",
    }
    answers = {item["answer"] for item in items if item["answer_type"] == "yesno"}
    assert answers == {"yes", "no"}
    # The file is an ordinary benchmark, and the same seed gives the same suite.
    assert len(load_jsonl(out)) == 30
    again = tmp_path / "again" / "clevr.jsonl"
    make_suite("clevr-qa", SuiteOptions(n=10, seed=7, questions_per_image=5, **TINY_RENDER), again)
    assert read_items(again) == items[:10]
    first_image = "clevr_files/scene_000000.png"
    assert (again.parent / first_image).read_bytes() == (out.parent / first_image).read_bytes()


# ---------------------------------------------------------------- charts


def series_index(spec: dict[str, Any], name: str | None) -> int:
    if name is None:
        assert len(spec["series"]) == 1
        return 0
    names = [s["name"] for s in spec["series"]]
    assert names.count(name) == 1
    return names.index(name)


def category_value(spec: dict[str, Any], category: str, series: str | None) -> float:
    return float(
        spec["series"][series_index(spec, series)]["values"][spec["categories"].index(category)]
    )


def unique_best(values: dict[str, float], highest: bool) -> str:
    ranked = sorted(values.items(), key=lambda kv: kv[1], reverse=highest)
    assert ranked[0][1] != ranked[1][1], "the extreme must be unique"
    return ranked[0][0]


def chart_check(item: dict[str, Any], spec: dict[str, Any]) -> None:
    """Assert the item's answer (and tolerance) against the spec."""
    question, answer = item["question"], item["answer"]
    span = spec["value_limits"][1] - spec["value_limits"][0] if spec["value_limits"] else None
    series_suffix = r"(?: in the (.+) series)?"
    if m := re.fullmatch(rf"What value does the chart show for (.+?){series_suffix}\?", question):
        value = category_value(spec, m.group(1), m.group(2))
        assert float(answer) == pytest.approx(value)
        if spec["show_values"]:
            assert "tolerance" not in item
        else:  # read off the axis: 5% of the axis span
            assert item["tolerance"] * abs(value) == pytest.approx(0.05 * span, rel=1e-4)
    elif m := re.fullmatch(
        rf"What is the difference between the values of (.+?) and (.+?){series_suffix}\?", question
    ):
        a = category_value(spec, m.group(1), m.group(3))
        b = category_value(spec, m.group(2), m.group(3))
        assert float(answer) == pytest.approx(abs(a - b))
        if not spec["show_values"]:
            assert item["tolerance"] * abs(a - b) == pytest.approx(0.1 * span, rel=1e-4)
    elif m := re.fullmatch(
        rf"Is the value of (.+?) greater than the value of (.+?){series_suffix}\?", question
    ):
        a = category_value(spec, m.group(1), m.group(3))
        b = category_value(spec, m.group(2), m.group(3))
        assert a != b and answer == yes(a > b)
    elif m := re.fullmatch(
        rf"Which category has the (highest|lowest) value{series_suffix}\?", question
    ):
        s = series_index(spec, m.group(2))
        values = dict(zip(spec["categories"], spec["series"][s]["values"], strict=True))
        assert answer == unique_best(values, m.group(1) == "highest")
    elif m := re.fullmatch(r"Which slice of the pie chart is the (largest|smallest)\?", question):
        values = dict(zip(spec["categories"], spec["series"][0]["values"], strict=True))
        assert answer == unique_best(values, m.group(1) == "largest")
    elif m := re.fullmatch(
        r"Which series has the single (highest|lowest) point on the vertical axis\?", question
    ):
        pick = max if m.group(1) == "highest" else min
        values = {s["name"]: pick(s["values"]) for s in spec["series"]}
        assert answer == unique_best(values, m.group(1) == "highest")
    elif m := re.fullmatch(r"Is the slice for (.+) larger than the slice for (.+)\?", question):
        a = category_value(spec, m.group(1), None)
        b = category_value(spec, m.group(2), None)
        assert answer == yes(a > b)
    elif m := re.fullmatch(r"What percentage of the whole pie is (.+)\?", question):
        values = spec["series"][0]["values"]
        share = 100 * category_value(spec, m.group(1), None) / sum(values)
        places = max(spec["decimals"], 0)
        assert abs(float(answer) - share) <= 0.5 * 10**-places + 1e-9
        assert len(answer.partition(".")[2]) == places  # as the pie label prints it
    elif question == "How many slices does the pie chart have?":
        assert spec["chart_type"] == "pie" and answer == str(len(spec["categories"]))
    elif question == "How many categories does the horizontal axis show?":
        assert answer == str(len(spec["categories"]))
    elif question == "How many series does the legend list?":
        assert spec["legend"] and answer == str(len(spec["series"]))
    elif question == "How many points are plotted?":
        assert answer == str(len(spec["series"][0]["values"])) and len(spec["series"]) == 1
    elif m := re.fullmatch(r"How many points does the (.+) series have\?", question):
        assert answer == str(len(spec["series"][series_index(spec, m.group(1))]["values"]))
    else:
        raise AssertionError(f"unrecognised question {question!r}")


def test_chart_qa_answers_recomputed_from_spec(tmp_path: Path) -> None:
    out = tmp_path / "charts.jsonl"
    assert (
        make_suite(
            "chart-qa",
            SuiteOptions(n=60, seed=11, questions_per_image=4, width=240, height=180),
            out,
        )
        == 60
    )
    items = read_items(out)
    kinds = set()
    for item in items:
        spec = load_spec(out, item)
        chart_check(item, spec)
        kinds.add((spec["chart_type"], item["category"]))
    assert {kind for kind, _ in kinds} == {"bar", "grouped_bar", "line", "pie", "scatter"}
    assert {family for _, family in kinds} == {
        "value",
        "extreme",
        "difference",
        "compare",
        "share",
        "count",
    }
    again = tmp_path / "again" / "charts.jsonl"
    make_suite(
        "chart-qa", SuiteOptions(n=60, seed=11, questions_per_image=4, width=240, height=180), again
    )
    assert again.read_text() == out.read_text()


# ---------------------------------------------------------------- spot the difference


def describe(obj: dict[str, Any]) -> str:
    return f"{obj['size']} {obj['color']} {obj['material']} {obj['shape']}"


def scene_difference(original: list[dict], modified: list[dict]) -> dict[str, Any]:
    """What changed, found by matching objects on their ground position."""

    def spot(obj: dict) -> tuple[float, float]:
        return round(obj["3d_coords"][0], 3), round(obj["3d_coords"][1], 3)

    before = {spot(o): o for o in original}
    after = {spot(o): o for o in modified}
    gone = [before[k] for k in before if k not in after]
    new = [after[k] for k in after if k not in before]
    kept = [k for k in before if k in after]
    changed, untouched = [], []
    for key in kept:
        attrs = [
            a for a in ("color", "shape", "size", "material") if before[key][a] != after[key][a]
        ]
        if attrs:
            changed.append((before[key], attrs))
        else:
            untouched.append(before[key])
    return {"gone": gone, "new": new, "changed": changed, "untouched": untouched}


@pytest.mark.slow
def test_spot_the_difference_answers_recomputed_from_both_scenes(tmp_path: Path) -> None:
    out = tmp_path / "spot.jsonl"
    options = SuiteOptions(n=8, seed=3, **TINY_RENDER)
    assert make_suite("spot-the-difference", options, out) == 8
    forms = set()
    for item in read_items(out):
        original = load_spec(out, item, "spec_original")["objects"]
        modified = load_spec(out, item, "spec_modified")["objects"]
        assert [Path(p).name for p in item["image"]] == [
            Path(item["meta"]["spec_original"]).with_suffix(".png").name,
            Path(item["meta"]["spec_modified"]).with_suffix(".png").name,
        ]
        diff = scene_difference(original, modified)
        question, choices, gold = item["question"], item["choices"], item["answer"]
        assert gold in choices and len(set(choices)) == len(choices)
        untouched = {describe(o) for o in diff["untouched"]}
        if question.endswith("Which of its properties changed?"):
            ((_, attrs),) = diff["changed"]
            assert [gold] == attrs and sorted(choices) == ["color", "material", "shape", "size"]
            forms.add("property")
            continue
        if "missing from the second image" in question:
            (target,) = diff["gone"]
            expected = {describe(target)}
            assert len(diff["new"]) == 0
        elif "is not in the first image" in question:
            (target,) = diff["new"]
            expected = {describe(target)}
            assert len(diff["gone"]) == 0
        elif "moved to a different place" in question:
            (target,) = diff["gone"]
            (moved,) = diff["new"]
            assert describe(target) == describe(moved)  # same object, new place
            expected = {describe(target)}
        elif "was changed in the second image" in question:
            expected = {describe(obj) for obj, _ in diff["changed"]}
            assert diff["changed"] and not diff["gone"] and not diff["new"]
        else:
            raise AssertionError(question)
        forms.add(question.split("?")[0][-25:])
        assert gold in expected and gold not in untouched
        assert all(c in untouched for c in choices if c != gold), (
            "wrong options are untouched objects"
        )
    assert len(forms) >= 3
