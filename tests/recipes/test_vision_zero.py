"""End to end on the tiny model: `zeroplay train vision-zero`, exact resume, config errors.

The embedded tiny model writes random bytes, so every vote is invalid and every reward constant.
The resume test wraps its engine in `ScriptedVotes`: the model's real sampled tokens (what the
loss trains on) are kept, but the text the game reads is replaced by boxed clues and votes drawn
from each request's own seed, so rewards, advantages and gradients are non-zero and a run is
still exactly reproducible.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from zeroplay.cli.train import app as train_app
from zeroplay.recipes.config_io import deep_merge, read_preset, validate
from zeroplay.recipes.vision_zero import Config, VisionZeroRun
from zeroplay.rl.checkpoint import list_checkpoints
from zeroplay.rl.metrics import is_timing_key
from zeroplay.rl.rundir import read_jsonl

runner = CliRunner()

# Smaller than the tiny preset: 3 players, 1 round, 2 votes, 8-token turns, 2 games per step.
SMALL = {
    "run": {"save_every": 2},
    "data": {"generate": {"pairs": 3}},
    "game": {
        "n_players": 3,
        "n_rounds": 1,
        "group_size": 2,
        "clue_sampling": {"max_new_tokens": 8},
        "decision_sampling": {"max_new_tokens": 8},
    },
    "controller": {"min_dwell": 1, "patience": 1},
    "advantages": {"clue": {"alpha": 0.5}},
    "schedule": {"steps": 4, "games_per_step": 2},
}


def small_config() -> Config:
    """The tiny preset with SMALL laid over it."""
    return validate(Config, deep_merge(read_preset("vision-zero", "tiny"), SMALL))


class ScriptedVotes:
    """Wraps an engine: real completions, with texts replaced by seeded boxed clues and votes."""

    def __init__(self, engine: Any, n_players: int):
        self.engine = engine
        self.n_players = n_players

    def generate(self, requests):
        out = self.engine.generate(requests)
        for request, completions in zip(requests, out, strict=True):
            for j, completion in enumerate(completions):
                rng = random.Random(f"{request.sampling.seed}/{j}")
                if request.meta.get("stage") == "decision":
                    choice = rng.choice([*range(1, self.n_players + 1), "N/A"])
                    text = f"I compare the clues. \\boxed{{{choice}}}"
                else:
                    text = f"I look. \\boxed{{a {rng.choice(['red', 'blue'])} bar}}"
                completions[j] = replace(completion, text=text)
        return out

    def rng_state(self):
        return self.engine.rng_state()

    def set_rng_state(self, states):
        self.engine.set_rng_state(states)


def _overrides(tree: dict, prefix: str = "") -> list[str]:
    """`{"a": {"b": 1}}` -> `["a.b=1"]` (the SMALL settings as command-line overrides)."""
    out = []
    for key, value in tree.items():
        if isinstance(value, dict):
            out += _overrides(value, f"{prefix}{key}.")
        else:
            out.append(f"{prefix}{key}={value}")
    return out


def _cli(out: Path, *extra: str):
    args = ["vision-zero", "--preset", "tiny", "--out", str(out), *_overrides(SMALL)]
    args += ["schedule.steps=2", *extra]
    return runner.invoke(train_app, args)


STEP_KEYS = (
    "step",
    "phase",
    "stage",
    "next_stage",
    "spo/dwell",
    "spo/accuracy",
    "spo/accuracy_average",
    "spo/abstention_average",
    "decision/accuracy",
    "decision/abstain_rate",
    "decision/invalid_rate",
    "decision/spy_vote_share",
    "clue/psi",
    "rae/clue/spy",
    "rae/clue/civilian",
    "stage/clue/completion_len",
    "stage/decision/completion_len",
    "role/spy/reward_mean",
    "role/observer/reward_mean",
    "reward/clue/spy",
    "reward/decision/observer",
    "loss",
    "kl_mean",
    "rollout_seconds",
    "update_seconds",
    "tokens_per_s",
)


@pytest.mark.slow
def test_train_command_writes_metrics_rollouts_and_checkpoint(tmp_path):
    run = tmp_path / "run"
    result = _cli(run)
    assert result.exit_code == 0, result.output

    records = read_jsonl(run / "metrics.jsonl")
    steps = [r for r in records if not r.get("summary")]
    assert [r["step"] for r in steps] == [1, 2]
    for record in steps:
        missing = [k for k in STEP_KEYS if k not in record]
        assert not missing, missing
        assert record["games"] == 2 and record["samples"] == 2 * (3 + 2)
    # The paper controller starts in the decision stage; patience 1 switches it every step.
    assert [r["stage"] for r in steps] == ["decision", "clue"]
    assert steps[0]["trained_samples"] == 4 and steps[1]["trained_samples"] == 6
    assert records[-1]["summary"] is True

    rollouts = sorted((run / "rollouts").glob("*.jsonl"))
    assert [p.name for p in rollouts] == ["step_000001_rank0.jsonl", "step_000002_rank0.jsonl"]
    game = read_jsonl(rollouts[0])[0]
    assert game["recipe"] == "vision-zero" and len(game["clue_turns"]) == 3
    assert len(game["votes"]) == 2 and game["pair_id"]

    assert [s for s, _ in list_checkpoints(run)] == [2]
    state = json.loads((run / "checkpoints" / "step_2" / "state.json").read_text())
    assert state["recipe_state"]["controller"]["stage"] == "decision"
    assert state["recipe_state"]["baselines"]["clue"]["updates"] == {"civilian": 4, "spy": 4}
    assert len(list((run / "data" / "pairs").glob("*_diff.json"))) == 3
    assert (run / "phases" / "train.done").exists()

    # The same command again finds the finished run; another config in it is refused.
    again = _cli(run)
    assert again.exit_code == 0, again.output
    assert len(read_jsonl(run / "metrics.jsonl")) == len(records)
    changed = _cli(run, "game.beta=0.2")
    assert changed.exit_code == 2 and "different config" in changed.output


def _params(run: VisionZeroRun) -> dict[str, torch.Tensor]:
    model = run.policies.model("default")
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def _step_records(path: Path) -> list[dict]:
    return [
        {k: v for k, v in r.items() if not is_timing_key(k)}
        for r in read_jsonl(path / "metrics.jsonl")
        if not r.get("summary")
    ]


@pytest.mark.slow
def test_resume_restores_controller_and_baselines_and_continues_exactly(tmp_path):
    from accelerate import Accelerator

    config = small_config()
    straight = VisionZeroRun(config, tmp_path / "straight", Accelerator(cpu=True))
    straight.resume()
    straight.engine = ScriptedVotes(straight.engine, n_players=3)
    straight.train()

    first = VisionZeroRun(config, tmp_path / "resumed", Accelerator(cpu=True))
    first.resume()
    first.engine = ScriptedVotes(first.engine, n_players=3)
    first.iteration()
    first.iteration()
    first.checkpoint()
    first.iteration()  # work after the checkpoint that a crash loses; resume redoes it
    del first

    second = VisionZeroRun(config, tmp_path / "resumed", Accelerator(cpu=True))
    assert second.resume() == 2
    saved = json.loads(
        (tmp_path / "resumed" / "checkpoints" / "step_2" / "state.json").read_text()
    )["recipe_state"]
    assert second.recipe_state() == saved
    # Not the initial state: the controller has switched and the baselines have moved.
    assert saved["controller"]["switches"] >= 1 and saved["controller"]["updates"] == 2
    assert any(v != 0.0 for v in saved["baselines"]["clue"]["baselines"].values())
    second.engine = ScriptedVotes(second.engine, n_players=3)
    second.train()
    assert second.step == 4

    a, b = _step_records(tmp_path / "straight"), _step_records(tmp_path / "resumed")
    assert [r["step"] for r in b] == [1, 2, 3, 4]
    assert a == b
    assert any(r["loss"] != 0.0 for r in a) and a[-1]["kl_mean"] > 0  # real updates happened
    assert straight.recipe_state() == second.recipe_state()
    pa, pb = _params(straight), _params(second)
    for name in pa:
        torch.testing.assert_close(pa[name], pb[name], rtol=0, atol=0, msg=name)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("game.n_player=3", ["unknown key 'game.n_player'", "n_players"]),
        ("game.group_size=many", ["game.group_size"]),
        ("controller.mode=sometimes", ["controller.mode", "'paper'", "'alternate'"]),
        ("game.decision_mode=judge", ["game.decision_mode", "'observer'", "'civilians'"]),
        ("advantages.decision.alpha=0.9", ["alpha is not a knob of the 'zscore' estimator"]),
        ("controller.patience=1", ["patience (1) must be >= min_dwell (2)"]),
        ("schedule.games_per_step=0", ["schedule.games_per_step"]),
    ],
)
def test_config_errors_name_the_key(tmp_path, override, expected):
    args = ["vision-zero", "--preset", "tiny", "--out", str(tmp_path / "run"), override]
    result = runner.invoke(train_app, args)
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    for part in expected:
        assert part in text, (part, text)
    assert not (tmp_path / "run").exists()


def test_missing_data_folder_says_how_to_make_pairs(tmp_path):
    result = runner.invoke(
        train_app,
        [
            "vision-zero",
            "--preset",
            "tiny",
            "--out",
            str(tmp_path / "run"),
            "--data",
            str(tmp_path / "none"),
            "data.generate=null",
        ],
    )
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "does not exist" in text and "zeroplay data clevr" in text


def test_presets_validate_and_name_their_source():
    from zeroplay.recipes.config_io import preset_names, read_preset, validate
    from zeroplay.recipes.vision_zero import Config

    names = preset_names("vision-zero")
    assert names == ["chart", "clevr", "proof", "realworld", "released-code", "tiny", "toy"]
    configs = {n: validate(Config, read_preset("vision-zero", n)) for n in names}
    folder = Path(__file__).parents[2] / "src" / "zeroplay" / "configs" / "vision_zero"
    for name in names:
        assert (folder / f"{name}.yaml").read_text().startswith(f"# {name}: ")
    for name in ("clevr", "chart", "realworld"):
        c = configs[name]
        assert (c.game.n_players, c.game.decision_mode, c.game.group_size) == (5, "civilians", 8)
        assert c.advantages.clue.alpha == 0.95 and c.controller.mode == "paper"
        assert c.trainer.optim.lr == 1e-5 and c.trainer.optim.warmup_ratio == 0.1
        assert c.trainer.loss.kl_coef == 0.04 and c.trainer.loss.epsilon_high == 0.2
        assert c.game.n_rounds == 2 and c.schedule.steps == 100
    code = configs["released-code"]
    assert (code.game.n_players, code.game.decision_mode) == (4, "observer")
    assert code.advantages.clue.alpha == 0.9 and code.controller.mode == "alternate"
    assert code.game.decision_reward == "code" and code.schedule.steps == 280
    assert configs["tiny"].model.name == "tiny" and configs["tiny"].data.generate is not None
    for name in ("proof", "toy"):  # the warm-started toy on toy pairs, the paper's algorithm
        c = configs[name]
        assert c.model.name == "toy" and c.data.generate.kind == "toy"
        assert not c.control.permute_rewards and c.controller.mode == "paper"
        assert c.trainer.loss.kl_coef == 0.04 and c.advantages.clue.alpha == 0.95
