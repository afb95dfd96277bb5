"""`zeroplay proof RECIPE --quick` end to end on a scaled-down toy: a valid proof.json for each
of the three recipes."""

from __future__ import annotations

import json

import pytest


def _quick_proof(tmp_path, monkeypatch, recipe: str, seed: int):
    """`zeroplay proof RECIPE --quick` on a scaled-down toy: the CLI result, proof.json and the
    proof's folder, after the checks every proof shares (identity, intervals, control switch)."""
    from typer.testing import CliRunner

    from zeroplay.cli.main import app
    from zeroplay.models import toy_cache
    from zeroplay.toy.build import ToySpec, build_toy

    monkeypatch.setenv("ZEROPLAY_CACHE", str(tmp_path / "cache"))
    build_toy(ToySpec().scaled_down(), toy_cache.toy_path())
    out = tmp_path / "proof"
    result = CliRunner().invoke(
        app, ["proof", recipe, "--quick", "--seed", str(seed), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    folder = out / recipe
    data = json.loads((folder / "proof.json").read_text())
    assert data["recipe"] == recipe and data["seed"] == seed and data["base_model"] == "toy"
    assert data["wall_seconds"] > 0 and sum(m["primary"] for m in data["metrics"]) == 1
    for metric in data["metrics"]:
        lo, hi = metric["ci95"]
        assert lo <= metric["delta"] <= hi and metric["n"] > 0
        for key in ("base", "trained", "control"):
            assert 0.0 <= metric[key] <= 1.0
    assert "permute_rewards: true" in (folder / "control" / "config.yaml").read_text()
    assert "permute_rewards: false" in (folder / "trained" / "config.yaml").read_text()
    return result, data, folder


@pytest.mark.slow
@pytest.mark.timeout(1800)  # builds a scaled-down toy, trains two runs, evaluates three models
def test_quick_proof_writes_a_valid_proof_json(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from zeroplay.cli.main import app

    _, data, folder = _quick_proof(tmp_path, monkeypatch, "vision-zero", 3)
    names = [m["name"] for m in data["metrics"]]
    assert any("win rate" in n for n in names) and any("toy-qa" in n for n in names)
    # The held-out data came from the evaluation seed space, the training pairs from training.
    assert data["details"]["eval_seeds"]["pairs"] >= 1_000_000
    report = CliRunner().invoke(app, ["report", str(folder)])
    assert report.exit_code == 0, report.output
    assert "Learning proof" in (folder / "report.html").read_text()


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_quick_visplay_proof_writes_a_valid_proof_json(tmp_path, monkeypatch):
    from zeroplay.data.seed_spaces import EVAL_BASE, TRAINING_BASE
    from zeroplay.recipes.visplay.images import FolderImages

    result, data, folder = _quick_proof(tmp_path, monkeypatch, "visplay", 2)
    assert "win rate" not in result.output  # Vision-Zero's bar is not VisPlay's
    primary = [m for m in data["metrics"] if m["primary"]]
    assert "VisPlay's prompt" in primary[0]["name"]
    assert data["details"]["eval_seeds"]["toy_qa"] >= 1_000_000
    # every iteration's phases are counted for both runs
    for run in ("trained", "control"):
        counts = data["details"]["phases"][run]["1"]
        assert counts["label_questions"] >= 0 and "reasoner_steps" in counts
        assert "1" in data["details"]["silver_labels"][run]
    assert [r["run"] for r in data["details"]["per_iteration"]] == ["trained", "control"]
    assert "visplay: per iteration" in result.output
    # the recipe played on pictures only (never the pairs' JSON), drawn from the training seeds
    pictures = folder / "train-pictures"
    assert all(i.endswith(".png") for i in FolderImages(pictures, 1, 10**9).ids)
    manifest = json.loads((pictures / "zeroplay_data.json").read_text())
    assert TRAINING_BASE <= manifest["settings"]["seed"] < EVAL_BASE


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_quick_mm_zero_proof_writes_a_valid_proof_json(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from zeroplay.cli.main import app
    from zeroplay.data.seed_spaces import EVAL_BASE

    result, data, folder = _quick_proof(tmp_path, monkeypatch, "mm-zero", 4)
    names = [m["name"] for m in data["metrics"]]
    primary = [m for m in data["metrics"] if m["primary"]]
    assert "solver accuracy" in primary[0]["name"]
    assert any("render success" in n for n in names) and any("valid-proposal" in n for n in names)
    assert data["details"]["eval_seeds"]["chart_qa"] >= EVAL_BASE
    assert [r["run"] for r in data["details"]["per_iteration"]] == ["trained", "control"]
    assert "mm-zero: per iteration" in result.output
    report = CliRunner().invoke(app, ["report", str(folder)])
    assert report.exit_code == 0, report.output
    html = (folder / "report.html").read_text()
    assert "mm-zero, seed 4: per iteration" in html and "CodeGen items" in html
