"""MM-Zero end to end on the tiny model: artifacts, metrics, the full funnel, crash and resume.

A random tiny model never writes a parsable proposal, so one test runs it as it is (the run must
finish and record the failures) and the others script the reply *texts* while keeping the
model's real token ids and logprobs (`scripted_texts`): every phase then has data, so renders,
labels and all three GRPO phases are exercised on real training steps.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from zeroplay.recipes.config_io import deep_merge, read_preset, validate
from zeroplay.recipes.mm_zero import Config, RunHooks, train
from zeroplay.rl.checkpoint import list_checkpoints
from zeroplay.rl.metrics import is_timing_key
from zeroplay.rl.rundir import read_jsonl

pytestmark = pytest.mark.slow

SMALL = {
    "iterations": 1,
    "run": {"save_every": 1, "keep_last": 1, "render_examples": 2},
    "game": {
        "seeds_per_topic": 1,
        "proposer_rollout": {"n": 2, "max_new_tokens": 6},
        "proposer_offline": {"n": 1, "max_new_tokens": 6},
        "codegen_scoring": {"n": 2, "max_new_tokens": 6},
        "codegen_filter": {"n": 2, "max_new_tokens": 6},
        "codegen_rollout": {"n": 2, "max_new_tokens": 6},
        "codegen_offline": {"n": 1, "max_new_tokens": 6},
        "judge": {"n": 2, "max_new_tokens": 4},
        "labelling": {"n": 2, "max_new_tokens": 4},
        "solver_rollout": {"n": 2, "max_new_tokens": 4},
    },
    "proposer": {"steps": 1, "rollout_batch": 2, "global_batch": 2},
    "codegen": {"steps": 2, "proposals": 3, "rollout_batch": 2, "global_batch": 1},
    "solver": {"steps": 1, "proposals": 3, "rollout_batch": 2, "global_batch": 2},
}


def small_config(**changes) -> Config:
    return validate(Config, deep_merge(deep_merge(read_preset("mm-zero", "tiny"), SMALL), changes))


# --- scripted reply texts over the model's real completions --------------------------------

SVG = (
    "```svg\n<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 80 60'>"
    "<rect width='80' height='60' fill='white'/><text x='4' y='30'>{tag}</text></svg>\n```"
)
BROKEN = "```svg\n<svg viewBox='0 0 8 6'><rect></svg>\n```"


def _proposal(seed: str, index: int) -> str:
    return (
        f"<content_type>data_chart</content_type><caption>A bar chart of {seed} with "
        f"{index + 3} bars</caption><easy_question>How many bars?</easy_question>"
        f"<easy_answer>{index + 3}</easy_answer><hard_question>Which bar is tallest?"
        f"</hard_question><hard_answer>B</hard_answer>"
    )


def _reply(request, index: int) -> str | None:
    meta = request.meta
    use = meta.get("use")
    if request.policy == "proposer":
        if use == "train" and index == 1:
            return "no tags at all"  # one invalid proposal per group: rewards differ
        return _proposal(str(meta.get("seed_id")), index)
    if request.policy == "codegen":
        if use in ("train", "render_filter", "score_proposal") and index == 0:
            return BROKEN  # render rate 1/2 in the filter; mixed CodeGen rewards
        return SVG.format(tag=meta.get("proposal_id"))
    if request.policy == "solver":
        if use in ("judge_easy", "label_easy"):
            return "<think>count</think>\\boxed{3}"
        # hard questions: a 50/50 split (consistency 0.5, inside the label window)
        return f"<think>compare</think>\\boxed{{{'AB'[index % 2]}}}"
    return None


class ScriptedTexts:
    """Replaces each completion's text, keeping its token ids and logprobs (the test's seam)."""

    def __init__(self, inner):
        self.inner = inner

    def generate(self, requests):
        out = self.inner.generate(requests)
        return [
            [replace(c, text=_reply(request, c.index) or c.text) for c in group]
            for request, group in zip(requests, out, strict=True)
        ]


def scripted_texts(engine):
    return ScriptedTexts(engine)


class Crash(RuntimeError):
    pass


def _crash_at(phase: str, step: int):
    def after_step(name: str, global_step: int) -> None:
        if name == phase and global_step == step:
            raise Crash(f"simulated crash after {name} step {global_step}")

    return after_step


def _metrics(run: Path) -> list[dict]:
    return [
        {k: v for k, v in r.items() if not is_timing_key(k)}
        for r in read_jsonl(run / "metrics.jsonl")
    ]


def _adapters(run: Path, checkpoint: int = -1) -> dict[str, torch.Tensor]:
    """The LoRA adapters of a run's `checkpoint` (an index into its checkpoints; the newest)."""
    _, path = list_checkpoints(run)[checkpoint]
    out = {}
    for folder in sorted((path / "adapters").iterdir()):
        for key, value in load_file(folder / "adapter_model.safetensors").items():
            out[f"{folder.name}/{key}"] = value
    return out


# --- tests -----------------------------------------------------------------------------------


def test_random_tiny_model_runs_end_to_end_and_records_the_failures(tmp_path):
    """Through the CLI, with full model copies and the Solver restarted from the base model."""
    from zeroplay.cli.train import app

    out = tmp_path / "run"
    overrides = [
        "iterations=1",
        "model.mode=separate",
        "game.solver_init=base",
        "trainer.loss.kl_coef=0",
        "game.proposer_rollout.n=2",
        "game.seeds_per_topic=1",
        "game.proposer_rollout.max_new_tokens=6",
        "game.proposer_offline.max_new_tokens=6",
        "proposer.steps=1",
        "proposer.rollout_batch=2",
        "codegen.proposals=2",
        "solver.proposals=2",
        "codegen.steps=1",
        "solver.steps=1",
    ]
    result = CliRunner().invoke(app, ["mm-zero", "--out", str(out), *overrides])
    assert result.exit_code == 0, result.output
    for kind in ("proposer", "codegen_data", "codegen", "solver_data", "solver", "coevolution"):
        assert (out / "phases" / f"iter_1.{kind}.done").exists(), kind
    records = read_jsonl(out / "metrics.jsonl")
    steps = [r for r in records if not r.get("summary")]
    assert [r["phase"] for r in steps] == ["iter_1.proposer"]
    step = steps[0]
    for key in ("loss", "rollout_seconds", "update_seconds", "tokens_per_s", "reward/valid_rate"):
        assert key in step, key
    assert step["reward/valid_rate"] == 0.0 and step["reward/reward"] == -1.0
    summaries = {r["phase"]: r for r in records if r.get("summary")}
    assert summaries["iter_1.codegen"]["skipped"] == "no training data"
    assert summaries["iter_1.solver"]["skipped"] == "no training data"
    assert summaries["iter_1.codegen_data"]["proposals/valid"] == 0.0
    coevolution = json.loads((out / "data/iter_1/coevolution.json").read_text())
    assert coevolution["funnel"] == {
        "proposals": 2,
        "valid_proposals": 0,
        "sent_to_codegen": 0,
        "rendered": 0,
        "evaluated": 0,
        "kept": 0,
    }
    assert coevolution["content_types"] == {"unknown": 1.0}
    assert summaries["iter_1.coevolution"]["coevolution/funnel/proposals"] == 2
    proposals = read_jsonl(out / "data/iter_1/solver/proposals.jsonl")
    assert len(proposals) == 2 and not any(p["valid"] for p in proposals)
    assert all(p["recipe"] == "mm-zero" and p["text"] for p in proposals)
    rollouts = read_jsonl(out / "rollouts/iter_1.proposer/step_000001.jsonl")
    assert len(rollouts) == 2 * 2 and all(r["recipe"] == "mm-zero" for r in rollouts)
    assert all(r["invalid_reason"] for r in rollouts)
    # three separate models and the phase-start copy; every phase end is kept
    assert [s for s, _ in list_checkpoints(out)] == [1, 2, 3]
    assert sorted(p.name for p in (list_checkpoints(out)[-1][1] / "policy").iterdir()) == [
        "codegen",
        "phase_start",
        "proposer",
        "solver",
    ]
    again = CliRunner().invoke(app, ["mm-zero", "--out", str(out), *overrides])
    assert again.exit_code == 0 and read_jsonl(out / "metrics.jsonl") == records


@pytest.fixture(scope="module")
def straight_run(tmp_path_factory):
    """One full iteration with scripted texts, never interrupted."""
    out = tmp_path_factory.mktemp("mmz") / "straight"
    train(small_config(), out, hooks=RunHooks(wrap_engine=scripted_texts))
    return out


def test_one_iteration_writes_every_artifact(straight_run):
    out = straight_run
    data = out / "data" / "iter_1"
    # CodeGen data: 3 proposals, each rendered 1 of 2 times by the starting CodeGen: all kept
    assert len(read_jsonl(data / "codegen/proposals.jsonl")) == 3
    rates = [r["render_rate"] for r in read_jsonl(data / "codegen/render_filter.jsonl")]
    assert rates == [0.5, 0.5, 0.5]
    assert len(read_jsonl(data / "codegen/train_set.jsonl")) == 3
    assert len(list((data / "codegen/renders/filter").glob("*.png"))) == 2  # render_examples
    # Solver data: every render saved, labels from a 50/50 vote, all items kept
    labels = read_jsonl(data / "solver/labels.jsonl")
    assert [(r["rendered"], r["hard_consistency"], r["easy_consistency"]) for r in labels] == [
        (True, 0.5, 1.0)
    ] * 3
    assert {r["label"] for r in labels} == {"A"}
    train_set = read_jsonl(data / "solver/train_set.jsonl")
    assert len(train_set) == 3
    for item in train_set:
        assert (data / "solver" / item["image"]).exists()
    assert len(list((data / "solver/renders").glob("*.png"))) == 3
    # Proposer examples, CodeGen step examples
    assert list((data / "proposer/renders").glob("step_000001/*.png"))
    assert list((data / "codegen/renders").glob("step_000002/*.png"))
    # rollouts of every training step, tagged
    for phase, steps in (("proposer", [1]), ("codegen", [2, 3]), ("solver", [4])):
        for step in steps:
            records = read_jsonl(out / f"rollouts/iter_1.{phase}/step_{step:06d}.jsonl")
            assert records and all(r["recipe"] == "mm-zero" and r["step"] == step for r in records)
    # metrics: one record per GRPO step with its reward components, then phase summaries
    records = read_jsonl(out / "metrics.jsonl")
    steps = [r for r in records if not r.get("summary")]
    assert [(r["step"], r["stage"]) for r in steps] == [
        (1, "proposer"),
        (2, "codegen"),
        (3, "codegen"),
        (4, "solver"),
    ]
    assert steps[0]["reward/valid_rate"] == 0.5
    assert steps[1]["reward/renderability"] == 0.5
    assert steps[1]["optimizer_steps"] == 2.0  # 2 proposals per step, 1 per update
    assert {"reward/accuracy", "reward/format"} <= steps[3].keys()
    assert steps[3]["reward/format"] == 1.0 and steps[3]["reward/accuracy"] == 0.5
    assert all(r["role/" + r["stage"] + "/advantage_mean"] == pytest.approx(0) for r in steps)
    summaries = [r for r in records if r.get("summary")]
    assert [r["phase"] for r in summaries] == [
        "iter_1.proposer",
        "iter_1.codegen_data",
        "iter_1.codegen",
        "iter_1.solver_data",
        "iter_1.solver",
        "iter_1.coevolution",
    ]
    coevolution = json.loads((data / "coevolution.json").read_text())
    assert coevolution["funnel"] == {
        "proposals": 3,
        "valid_proposals": 3,
        "sent_to_codegen": 3,
        "rendered": 3,
        "evaluated": 3,
        "kept": 3,
    }
    assert coevolution["difficulty"] == 1.0 and coevolution["solvability"] == 1.0
    assert coevolution["codegen_training_size"] == 3 and coevolution["solver_training_size"] == 3
    assert summaries[-1]["coevolution/difficulty"] == 1.0
    # checkpoints: the three phase ends (mid-phase ones pruned to keep_last=1)
    states = [
        json.loads((p / "state.json").read_text())["recipe_state"] for _, p in list_checkpoints(out)
    ]
    ends = [(s["phase"], s["phase_step"]) for s in states if s["phase_end"]]
    assert ends == [("iter_1.proposer", 1), ("iter_1.codegen", 2), ("iter_1.solver", 1)]
    adapters = sorted(p.name for p in (list_checkpoints(out)[-1][1] / "adapters").iterdir())
    assert adapters == ["codegen", "phase_start", "proposer", "solver"]


class CrashWhenLabelling(ScriptedTexts):
    """Scripted texts, but dies at the first pseudo-labelling request (inside solver_data)."""

    def generate(self, requests):
        if any(r.meta.get("use") == "label_hard" for r in requests):
            raise Crash("simulated crash while labelling")
        return super().generate(requests)


def test_crashes_resume_at_the_first_unfinished_phase_exactly(straight_run, tmp_path):
    """Crash after CodeGen step 1 (resume from its checkpoint), then inside the Solver data
    phase (redo it from the CodeGen phase-end weights); the result equals the straight run."""
    out = tmp_path / "crashed"
    config = small_config()
    with pytest.raises(Crash):
        train(
            config,
            out,
            hooks=RunHooks(wrap_engine=scripted_texts, after_step=_crash_at("iter_1.codegen", 2)),
        )
    assert (out / "phases/iter_1.codegen_data.done").exists()
    assert not (out / "phases/iter_1.codegen.done").exists()
    kept_files = [
        out / "phases/iter_1.proposer.done",
        out / "data/iter_1/codegen/train_set.jsonl",
        out / "rollouts/iter_1.proposer/step_000001.jsonl",
        out / "rollouts/iter_1.codegen/step_000002.jsonl",
    ]
    stamps = {p: p.stat().st_mtime_ns for p in kept_files}
    assert [s for s, _ in list_checkpoints(out)] == [1, 2]  # proposer end, codegen step 1

    seen: list[tuple[str, int]] = []

    def record(phase: str, step: int) -> None:
        seen.append((phase, step))

    with pytest.raises(Crash):
        train(config, out, hooks=RunHooks(wrap_engine=CrashWhenLabelling, after_step=record))
    assert seen == [("iter_1.codegen", 3)]  # resumed at CodeGen step 2
    assert (out / "phases/iter_1.codegen.done").exists()
    assert not (out / "data/iter_1/solver/labels.jsonl").exists()

    train(config, out, hooks=RunHooks(wrap_engine=scripted_texts, after_step=record))
    assert seen == [("iter_1.codegen", 3), ("iter_1.solver", 4)]
    assert {p: p.stat().st_mtime_ns for p in kept_files} == stamps  # nothing redone
    assert _metrics(out) == _metrics(straight_run)
    straight, resumed = _adapters(straight_run), _adapters(out)
    assert straight.keys() == resumed.keys()
    for key in straight:
        torch.testing.assert_close(resumed[key], straight[key], rtol=0, atol=0, msg=key)


def test_control_run_permutes_each_batchs_rewards(tmp_path, monkeypatch):
    """`control.permute_rewards` (the learning proof's control): every training step of every
    role reaches `train_on_turns` with a stream seeded by (run seed, phase, step), so a resumed
    run permutes alike; off, none."""
    import random

    from zeroplay import runtime

    calls: list[tuple[str, object]] = []
    real = runtime.train_on_turns

    def spy(trainer, role, *args, control=None, **kwargs):
        calls.append((role, None if control is None else control.getstate()))
        return real(trainer, role, *args, control=control, **kwargs)

    monkeypatch.setattr(runtime, "train_on_turns", spy)
    train(small_config(), tmp_path / "plain", hooks=RunHooks(wrap_engine=scripted_texts))
    assert {role for role, _ in calls} == {"proposer", "codegen", "solver"}
    assert all(state is None for _, state in calls)
    calls.clear()
    config = small_config(control={"permute_rewards": True})
    train(config, tmp_path / "control", hooks=RunHooks(wrap_engine=scripted_texts))
    steps = {"proposer": 1, "codegen": 2, "solver": 1}  # SMALL's steps per phase
    seed = config.run.seed
    expected = [
        (role, random.Random(f"control/{seed}/iter_1.{role}/{k}").getstate())
        for role in ("proposer", "codegen", "solver")
        for k in range(1, steps[role] + 1)  # a phase counts its steps from 1
    ]
    assert calls == expected
