"""`zeroplay eval run` end to end on the tiny model (JSONL and TSV), with an endpoint judge, and
its one-line errors; `--model` run directories are resolved (loading them is the lead's test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_files import png_b64, write_jsonl, write_tsv
from eval_judge_server import judge_server
from PIL import Image
from typer.testing import CliRunner

from zeroplay.cli.eval import app
from zeroplay.eval.model_source import ModelSourceError, generation_policy, resolve_source
from zeroplay.eval.results import read_results

runner = CliRunner()
RECORD_KEYS = {"id", "prompt", "response", "extracted", "gold", "correct"}


@pytest.fixture
def bench_files(tmp_path: Path) -> tuple[Path, Path]:
    Image.new("RGB", (32, 24), "red").save(tmp_path / "red.png")
    jsonl = write_jsonl(
        tmp_path / "mini.jsonl",
        [
            {"id": "j1", "image": "red.png", "question": "Colour?", "answer": "red"},
            {"id": "j2", "image": "red.png", "question": "Is it red?", "answer": "yes"},
            {"id": "j3", "question": "2 + 2?", "answer": 4},
        ],
    )
    header = ["index", "image", "question", "A", "B", "answer", "category"]
    tsv = write_tsv(
        tmp_path / "MMB_mini.tsv",
        header,
        [
            ["1", png_b64("red"), "Which colour?", "red", "blue", "A", "colour"],
            ["2", "1", "Again?", "blue", "red", "B", "colour"],
            ["3", png_b64("blue"), "And this?", "red", "blue", "B", "colour"],
        ],
    )
    return jsonl, tsv


def _run(args: list[str]):
    result = runner.invoke(app, ["run", *args])
    assert "Traceback" not in result.output
    return result


@pytest.mark.slow
def test_run_tiny_on_jsonl_and_tsv_with_endpoint_judge(
    bench_files: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    jsonl, tsv = bench_files
    out = tmp_path / "results"
    args = ["--model", "tiny", "--suite", str(jsonl), "--suite", str(tsv), "--limit", "2"]
    args += ["--max-new-tokens", "6", "--batch-size", "2", "--out", str(out), "--device", "cpu"]
    with judge_server() as (url, received):
        result = _run([*args, "--judge-url", url, "--judge-model", "fake-judge"])
    assert result.exit_code == 0, result.output
    assert "mini" in result.output and "MMB_mini" in result.output and "judge" in result.output
    assert len(received) == 1 + 4  # the start-up check, then one call per evaluated item
    for name, ids in (("mini", ["j1", "j2"]), ("MMB_mini", ["1", "2"])):
        document = read_results(out / f"{name}.json")
        assert [item["id"] for item in document["items"]] == ids
        assert all(set(item) >= RECORD_KEYS for item in document["items"])
        assert document["benchmark"]["items_in_file"] == 3
        assert document["benchmark"]["items_evaluated"] == 2 and document["benchmark"]["limit"] == 2
        assert document["decoding"]["temperature"] == 0.0
        assert "\\boxed{}" in document["prompt_format"]["final_line"]
        assert document["judge"]["model"] == "fake-judge"
        assert "Reference answer" in document["judge"]["prompt_template"]
        assert document["summary"]["judge"]["n"] == 2
        assert not (out / f"{name}.responses.jsonl").exists()  # removed once results exist
    tsv_items = read_results(out / "MMB_mini.json")["items"]
    assert tsv_items[0]["gold"] == "A" and tsv_items[1]["gold"] == "B"
    assert tsv_items[0]["prompt"].startswith("Which colour?\nOptions:\nA. red\nB. blue")
    # Same command again, with the tiny model as a local judge: greedy decoding gives the same
    # responses, and the judge's verdicts are recorded (readable or not) for every item.
    again_out = tmp_path / "again"
    judge_args = ["--judge", "tiny", "--judge-max-tokens", "3"]
    again = _run([*args[:-4], "--out", str(again_out), "--device", "cpu", *judge_args])
    assert again.exit_code == 0, again.output
    first = [i["response"] for i in read_results(out / "mini.json")["items"]]
    repeated = read_results(again_out / "mini.json")
    assert first == [i["response"] for i in repeated["items"]]
    assert repeated["judge"]["kind"] == "local model" and repeated["judge"]["model"] == "tiny"
    assert all(item["judge"]["reply"] is not None for item in repeated["items"])


def test_run_errors_are_one_line(bench_files: tuple[Path, Path], tmp_path: Path) -> None:
    jsonl, _ = bench_files
    bad_tsv = write_tsv(tmp_path / "bad.tsv", ["id", "question", "answer"], [["1", "q", "a"]])
    dup = write_jsonl(tmp_path / "dup.jsonl", [{"id": "x", "question": "q", "answer": "1"}] * 2)
    cases = [
        (["--suite", str(tmp_path / "none.jsonl")], "none.jsonl' does not exist"),
        (["--suite", str(bad_tsv)], "missing column(s) index"),
        (["--suite", "no-such-suite"], "unknown suite 'no-such-suite'"),
        (["--suite", str(dup)], "duplicate id 'x'"),
        (["--suite", str(jsonl), "--step", "3"], "--step applies only to a run directory"),
        (["--suite", str(jsonl), "--judge", "tiny", "--judge-url", "http://x"], "not both"),
        (["--suite", str(jsonl), "--judge-url", "http://127.0.0.1:9/v1"], "needs --judge-model"),
    ]
    for extra, message in cases:
        result = _run(["--model", "tiny", *extra])
        assert result.exit_code == 2, (extra, result.output)
        assert message in result.output and len(result.output.strip().splitlines()) <= 3


def test_run_directory_resolution(tmp_path: Path) -> None:
    run = tmp_path / "run1"
    for step in (10, 200, 30):
        (run / "checkpoints" / f"step_{step}").mkdir(parents=True)
    (run / "checkpoints" / "notes").mkdir()
    latest = resolve_source(str(run))
    assert latest.step == 200 and latest.run_dir == run and latest.label == "run1@step200"
    chosen = resolve_source(str(run), step=30, policy="solver")
    assert chosen.label == "run1@step30:solver"
    assert chosen.default_out() == run / "eval" / "step_30-solver"
    with pytest.raises(ModelSourceError, match="no checkpoint for step 5; steps: 10, 30, 200"):
        resolve_source(str(run), step=5)
    plain = resolve_source("tiny", label="base")
    assert plain.label == "base" and plain.default_out() == Path("eval-results/base")
    with pytest.raises(ModelSourceError, match="--policy applies only"):
        resolve_source("tiny", policy="solver")

    class Adapters:
        peft_config = {"solver": None, "proposer": None}  # noqa: RUF012
        active_adapter = "proposer"

    assert generation_policy(Adapters(), latest) == "proposer"
    assert generation_policy(Adapters(), chosen) == "solver"
    assert generation_policy(object(), latest) == "default"
    with pytest.raises(ModelSourceError, match=r"no policy 'coder'.*proposer, solver"):
        generation_policy(Adapters(), resolve_source(str(run), policy="coder"))
    empty = tmp_path / "run2"
    (empty / "checkpoints").mkdir(parents=True)
    with pytest.raises(ModelSourceError, match="no checkpoints/step_N"):
        resolve_source(str(empty))


def test_make_suite_cli_chart_qa(tmp_path: Path) -> None:
    out = tmp_path / "charts.jsonl"
    args = ["make-suite", "chart-qa", "--n", "5", "--seed", "4", "--out", str(out)]
    result = runner.invoke(app, [*args, "--width", "240", "--height", "180"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 5 and all((tmp_path / line["image"]).is_file() for line in lines)
    for extra, message in (
        (["--spp", "4"], "apply to rendered CLEVR suites"),
        (["--width", "100"], "at least 160x120"),
    ):
        bad = runner.invoke(app, [*args, *extra])
        assert bad.exit_code == 2 and message in bad.output
    unknown = runner.invoke(app, ["make-suite", "sudoku", "--out", str(out)])
    assert unknown.exit_code == 2 and "unknown suite 'sudoku'" in unknown.output
