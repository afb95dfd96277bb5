"""`zeroplay proof vision-zero --quick` end to end on a scaled-down toy: a valid proof.json."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
@pytest.mark.timeout(1800)  # builds a scaled-down toy, trains two runs, evaluates three models
def test_quick_proof_writes_a_valid_proof_json(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from zeroplay.cli.main import app
    from zeroplay.models import toy_cache
    from zeroplay.toy.build import ToySpec, build_toy

    monkeypatch.setenv("ZEROPLAY_CACHE", str(tmp_path / "cache"))
    build_toy(ToySpec().scaled_down(), toy_cache.toy_path())
    out = tmp_path / "proof"
    result = CliRunner().invoke(
        app, ["proof", "vision-zero", "--quick", "--seed", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads((out / "vision-zero" / "proof.json").read_text())
    assert data["recipe"] == "vision-zero" and data["seed"] == 3 and data["base_model"] == "toy"
    assert data["wall_seconds"] > 0
    names = [m["name"] for m in data["metrics"]]
    assert sum(m["primary"] for m in data["metrics"]) == 1
    assert any("win rate" in n for n in names) and any("toy-qa" in n for n in names)
    for metric in data["metrics"]:
        lo, hi = metric["ci95"]
        assert lo <= metric["delta"] <= hi and metric["n"] > 0
        for key in ("base", "trained", "control"):
            assert 0.0 <= metric[key] <= 1.0
    # The held-out data came from the evaluation seed space, the training pairs from training.
    assert data["details"]["eval_seeds"]["pairs"] >= 1_000_000
    control = (out / "vision-zero" / "control" / "config.yaml").read_text()
    assert "permute_rewards: true" in control
    assert "permute_rewards: false" in (out / "vision-zero" / "trained" / "config.yaml").read_text()
    report = CliRunner().invoke(app, ["report", str(out / "vision-zero")])
    assert report.exit_code == 0, report.output
    assert "Learning proof" in (out / "vision-zero" / "report.html").read_text()
