"""Comparing results: micro/macro accuracy, deltas against a baseline, plot, errors, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from zeroplay.cli.eval import app
from zeroplay.eval.compare import CompareError, build_comparison
from zeroplay.eval.compare_plot import plot_comparison
from zeroplay.eval.items import BenchItem, Benchmark
from zeroplay.eval.records import ItemRecord, JudgeVerdict
from zeroplay.eval.results import read_results, results_document, write_results
from zeroplay.eval.scoring import ScoringSettings


def make_document(label: str, bench: str, outcomes: list[bool], judged: list[bool] | None = None):
    items = tuple(BenchItem(f"{bench}-{i}", "q", "1", "number") for i in range(len(outcomes)))
    records = []
    for i, (item, correct) in enumerate(zip(items, outcomes, strict=True)):
        record = ItemRecord(
            item.id,
            "",
            "number",
            "q",
            0,
            "r",
            "stop",
            1,
            "1",
            "boxed",
            None,
            "1.0",
            "1",
            [],
            correct,
        )
        if judged is not None:
            record.judge = JudgeVerdict(judged[i], "CORRECT" if judged[i] else "INCORRECT", "1")
        records.append(record)
    benchmark = Benchmark(bench, items, f"{bench}.jsonl", "jsonl")
    return results_document(
        benchmark,
        records,
        model={"label": label},
        decoding={},
        scoring=ScoringSettings(),
        judge={"kind": "test"} if judged is not None else None,
        limit=None,
        items_in_file=len(items),
    )


def documents():
    return [
        ("base/a.json", make_document("base", "a", [True, True, False, False], [True] * 4)),
        ("base/b.json", make_document("base", "b", [True, True], [True, False])),
        ("rl/a.json", make_document("rl", "a", [True, True, True, False], [True] * 3 + [False])),
        ("rl/b.json", make_document("rl", "b", [True, False], [False, False])),
    ]


def test_micro_macro_and_deltas() -> None:
    comparison = build_comparison(documents())
    assert comparison.models == ["base", "rl"] and comparison.baseline == "base"
    assert comparison.shared == ["a", "b"] and not comparison.warnings
    # base: a 2/4, b 2/2 -> micro 4/6, macro (0.5 + 1) / 2; rl: a 3/4, b 1/2.
    assert comparison.micro("base") == pytest.approx(4 / 6)
    assert comparison.macro("base") == pytest.approx(0.75)
    assert comparison.micro("rl") == pytest.approx(4 / 6)
    assert comparison.macro("rl") == pytest.approx(0.625)
    assert comparison.delta("rl", "a") == pytest.approx(0.25)
    assert comparison.delta("rl", "b") == pytest.approx(-0.5)
    flipped = build_comparison(documents(), baseline="rl")
    assert flipped.delta("base", "b") == pytest.approx(0.5)
    judged = build_comparison(documents(), metric="judge")
    # judge: base a 4/4, b 1/2 -> micro 5/6; rl a 3/4, b 0/2 -> macro 0.375
    assert judged.micro("base") == pytest.approx(5 / 6)
    assert judged.macro("rl") == pytest.approx(0.375)
    data = comparison.to_json()
    assert data["models"]["rl"]["benchmarks"]["a"]["delta"] == pytest.approx(0.25)


def test_missing_benchmarks_and_different_items_warn() -> None:
    docs = documents()
    docs.append(("sft/a.json", make_document("sft", "a", [True, False, True])))
    comparison = build_comparison(docs)
    assert comparison.shared == ["a"]
    assert comparison.micro("base") == pytest.approx(0.5)  # only a is shared
    assert any("different items" in w for w in comparison.warnings)
    assert any("micro and macro use only a" in w for w in comparison.warnings)


def test_compare_errors() -> None:
    docs = documents()
    with pytest.raises(CompareError, match="both hold 'a' for model 'base'"):
        build_comparison([*docs, ("again.json", docs[0][1])])
    with pytest.raises(CompareError, match="baseline 'sft' is not among"):
        build_comparison(docs, baseline="sft")
    with pytest.raises(CompareError, match="no judge verdicts"):
        build_comparison([("x.json", make_document("m", "a", [True]))], metric="judge")


def test_plot_is_a_png(tmp_path: Path) -> None:
    path = tmp_path / "plots" / "cmp.png"
    plot_comparison(build_comparison(documents()), path)
    with Image.open(path) as image:
        assert image.format == "PNG" and image.width > 300


def test_compare_cli(tmp_path: Path) -> None:
    for name, document in documents():
        write_results(tmp_path / name, document)
    (tmp_path / "base" / "notes.json").write_text("{}")  # not a results file: skipped in folders
    plot, summary = tmp_path / "cmp.png", tmp_path / "cmp.json"
    args = [
        "compare",
        str(tmp_path / "base"),
        str(tmp_path / "rl" / "a.json"),
        str(tmp_path / "rl" / "b.json"),
    ]
    result = CliRunner().invoke(app, [*args, "--plot", str(plot), "--json", str(summary)])
    assert result.exit_code == 0, result.output
    assert "micro" in result.output and "macro" in result.output
    assert "75.0 +25.0" in result.output and "50.0 -50.0" in result.output
    assert plot.is_file() and read_results(tmp_path / "rl" / "a.json")["summary"]["n"] == 4
    bad = CliRunner().invoke(app, ["compare", str(tmp_path / "base" / "notes.json")])
    assert bad.exit_code == 2 and "not a zeroplay eval results file" in bad.output
    missing = CliRunner().invoke(app, ["compare", str(tmp_path / "none.json")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
