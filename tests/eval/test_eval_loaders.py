"""Reading benchmark files: JSONL and VLMEvalKit TSV, and resolving --suite names."""

from __future__ import annotations

from pathlib import Path

import pytest
from eval_files import png_b64, write_jsonl, write_tsv
from PIL import Image

from zeroplay.eval.benchmarks import (
    default_suite_path,
    limited,
    load_benchmark,
    suite_needs_build,
)
from zeroplay.eval.errors import BenchmarkError
from zeroplay.eval.images import open_ref
from zeroplay.eval.jsonl_format import load_jsonl
from zeroplay.eval.suites.common import SuiteOptions
from zeroplay.eval.suites.registry import ensure_cached_suite
from zeroplay.eval.tsv_format import load_tsv


def test_jsonl_fields_images_and_types(tmp_path: Path) -> None:
    Image.new("RGB", (8, 8), "red").save(tmp_path / "red.png")
    (tmp_path / "sub").mkdir()
    Image.new("RGB", (8, 8), "blue").save(tmp_path / "sub" / "blue.png")
    rows = [
        {"id": 1, "image": "red.png", "question": "Colour?", "answer": "red", "source": "x"},
        {"id": "b", "image": ["red.png", "sub/blue.png"], "question": "Which?", "answer": "blue"}
        | {"choices": ["red", "blue"], "category": "pairs", "hint": "two images"},
        {"id": "c", "images": [f"data:image/png;base64,{png_b64('green')}"], "question": "n?"}
        | {"answer": 3, "tolerance": 0.1},
        {"id": "d", "question": "Is it?", "answer": True},
        {"id": "e", "question": "x?", "answer": "\\sqrt{2}", "accept": ["1.414"], "meta": {"k": 1}},
    ]
    bench = load_jsonl(write_jsonl(tmp_path / "mini.jsonl", rows))
    assert bench.name == "mini" and bench.format == "jsonl" and len(bench) == 5
    first, second, third, fourth, fifth = bench.items
    assert first.id == "1" and first.answer_type == "text" and first.meta == {"source": "x"}
    assert first.images[0].path == tmp_path / "red.png"
    assert second.answer_type == "choice" and second.answer == "B" and second.hint == "two images"
    assert [ref.path.name for ref in second.images] == ["red.png", "blue.png"]
    assert second.category == "pairs"
    assert third.answer == "3" and third.answer_type == "number" and third.tolerance == 0.1
    image, reason = open_ref(third.images[0])
    assert reason is None and image.getpixel((0, 0)) == (0, 128, 0)
    assert fourth.answer == "yes" and fourth.answer_type == "yesno" and not fourth.images
    assert fifth.answer_type == "math" and fifth.accept == ("1.414",) and fifth.meta == {"k": 1}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"id": "a", "question": "q", "answer": "1"}] * 2, "duplicate id 'a'"),
        ([{"question": "q", "answer": "1"}], "needs an `id`"),
        ([{"id": "a", "answer": "1"}], "needs a `question`"),
        ([{"id": "a", "question": "q"}], "needs an `answer`"),
        ([{"id": "a", "question": "q", "answer": "1", "image": "no.png"}], "does not exist"),
        ([{"id": "a", "question": "q", "answer": "purple", "choices": ["red"]}], "neither"),
        ([{"id": "a", "question": "q", "answer": "1", "answer_type": "essay"}], "unknown answer"),
        ([{"id": "a", "question": "q", "answer": "A", "answer_type": "choice"}], "`choices` go"),
        ([{"id": "a", "question": "q", "answer": "1", "tolerance": -1}], "`tolerance`"),
    ],
)
def test_jsonl_errors_name_the_problem(tmp_path: Path, rows: list[dict], message: str) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    with pytest.raises(BenchmarkError, match=message) as caught:
        load_jsonl(path)
    assert "\n" not in str(caught.value)


def test_jsonl_bad_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "question": "q", "answer": "1"}\n\n{not json\n')
    with pytest.raises(BenchmarkError, match=r"bad\.jsonl:3: not valid JSON"):
        load_jsonl(path)
    path.write_text("")
    with pytest.raises(BenchmarkError, match="no items"):
        load_jsonl(path)


def test_tsv_vlmevalkit_layout(tmp_path: Path) -> None:
    red, blue = png_b64("red"), png_b64("blue")
    header = ["index", "image", "question", "hint", "A", "B", "C", "D", "answer", "category", "l2"]
    rows = [
        ["10", red, "Which colour?", "nan", "red", "blue", "green", "", "A", "colour", "x"],
        [
            "11",
            "10",
            "Same picture: which colour?",
            "look",
            "blue",
            "red",
            "nan",
            "nan",
            "B",
            "",
            "",
        ],
        ["12", str([red, blue]), "How many images?", "", "", "", "", "", "2", "count", ""],
        ["13", blue, "Is it blue?", "", "", "", "", "", "Yes", "", ""],
    ]
    bench = load_tsv(write_tsv(tmp_path / "MMB_mini.tsv", header, rows))
    assert bench.name == "MMB_mini" and bench.format == "tsv"
    by_id = {item.id: item for item in bench.items}
    assert by_id["10"].choices == ("red", "blue", "green") and by_id["10"].answer == "A"
    assert by_id["10"].hint == "" and by_id["10"].meta == {"l2": "x"}
    shared = by_id["11"]
    assert shared.choices == ("blue", "red") and shared.hint == "look"
    assert shared.images[0].data == by_id["10"].images[0].data  # image shared by reference
    assert len(by_id["12"].images) == 2 and by_id["12"].answer_type == "number"
    assert by_id["13"].answer_type == "yesno" and by_id["13"].category == ""


def test_tsv_image_path_and_choices_list_column(tmp_path: Path) -> None:
    Image.new("RGB", (8, 8), "red").save(tmp_path / "a.png")
    header = ["index", "image_path", "question", "choices", "answer", "answer_type"]
    rows = [
        ["1", "a.png", "Which?", str(["cat", "dog"]), "dog", "text"],
        ["2", "a.png", "Length?", "nan", "4.5", "float"],
        ["3", "a.png", "List?", "", "[1, 2]", "list"],
    ]
    bench = load_tsv(write_tsv(tmp_path / "MathVista_mini.tsv", header, rows))
    first, second, third = bench.items
    assert first.answer_type == "choice" and first.choices == ("cat", "dog") and first.answer == "B"
    assert second.answer_type == "number" and third.answer_type == "math"
    assert first.images[0].path == tmp_path / "a.png"


@pytest.mark.parametrize(
    ("header", "rows", "message"),
    [
        (["id", "image", "question", "answer"], [["1", "x", "q", "a"]], "missing column"),
        (["index", "question", "answer"], [["1", "q", "a"]], "image"),
        (
            ["index", "image", "question", "answer"],
            [["1", "x", "q", "a"], ["1", "x", "q", "b"]],
            "duplicate id '1'",
        ),
        (["index", "image", "question", "answer"], [["1", "7", "q", "a"]], "refers to row '7'"),
        (["index", "image", "question", "answer"], [["1", "%" * 80, "q", "a"]], "not valid base64"),
        (
            ["index", "image", "question", "A", "B", "C", "answer"],
            [["1", "", "q", "x", "", "z", "A"]],
            "skip a letter",
        ),
        (
            ["index", "image", "question", "A", "B", "answer"],
            [["1", "", "q", "x", "y", "C"]],
            "does not name",
        ),
        (["index", "image", "question", "answer"], [["1", "", "q", ""]], "empty answer"),
        (["index", "image", "question", "answer"], [["1", "", "q"]], "3 cells for 4 columns"),
    ],
)
def test_tsv_errors_name_the_problem(
    tmp_path: Path, header: list[str], rows: list[list[str]], message: str
) -> None:
    path = write_tsv(tmp_path / "bad.tsv", header, rows)
    with pytest.raises(BenchmarkError, match=message) as caught:
        load_tsv(path)
    assert "\n" not in str(caught.value)


def test_suite_resolution_and_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lmu = tmp_path / "LMUData"
    lmu.mkdir()
    header = ["index", "image", "question", "answer"]
    write_tsv(
        lmu / "MME_mini.tsv", header, [[str(i), png_b64("red"), "q", "Yes"] for i in range(5)]
    )
    monkeypatch.setenv("LMUData", str(lmu))
    bench = load_benchmark("MME_mini")
    assert bench.name == "MME_mini" and len(limited(bench, 2)) == 2 and len(limited(bench, 9)) == 5
    assert [item.id for item in limited(bench, 3).items] == ["0", "1", "2"]
    with pytest.raises(BenchmarkError, match=r"unknown suite 'nope'.*clevr-qa.*LMUData"):
        load_benchmark("nope")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(BenchmarkError, match="unknown benchmark file type"):
        load_benchmark(str(tmp_path / "notes.txt"))


def test_synthetic_suite_names_use_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZEROPLAY_CACHE", str(tmp_path / "cache"))
    cached = default_suite_path("chart-qa")
    assert cached.parent == tmp_path / "cache" / "suites" and suite_needs_build("chart-qa")
    # A suite built on demand lands at its cache path through a temporary folder.
    small = tmp_path / "cache" / "suites" / "small.jsonl"
    ensure_cached_suite(small, "chart-qa", SuiteOptions(n=3, seed=1, width=200, height=150))
    assert len(load_jsonl(small)) == 3 and (tmp_path / "cache" / "suites" / "small_files").is_dir()
    assert sorted(p.name for p in small.parent.iterdir()) == ["small.jsonl", "small_files"]
    write_jsonl(cached, [{"id": "s1", "question": "q", "answer": "1"}])
    assert not suite_needs_build("chart-qa")
    assert [item.id for item in load_benchmark("chart-qa").items] == ["s1"]
