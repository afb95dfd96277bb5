"""End to end: the VisPlay loop on the tiny model, its artifacts, markers and resume.

A random tiny model never writes a well-formed question, so most tests replace the engine with
scripted players: the prompts are still prepared by the real processor, the scripted replies are
tokenized once, and the real trainer takes real optimizer steps on them. One test runs the CLI
with real sampling.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import ClassVar

import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from zeroplay.engines.base import Completion
from zeroplay.engines.hf import eos_ids_of, prepare_request, tokenizer_of
from zeroplay.recipes.config_io import read_preset, validate
from zeroplay.recipes.visplay import recipe as visplay
from zeroplay.rl.metrics import is_timing_key
from zeroplay.rl.rundir import read_jsonl
from zeroplay.rl.trainer import Trainer

pytestmark = pytest.mark.slow

SMALL = {
    "model": {"name": "tiny", "mode": "lora", "lora": {"r": 4, "alpha": 8}},
    "run": {"seed": 3, "save_every": 1, "keep_last": 2},
    "data": {
        "generate_charts": 3,
        "chart_width": 160,
        "chart_height": 120,
        "min_pixels": 3136,
        "max_pixels": 3136,
    },
    "game": {
        "questioner_group_size": 4,
        "reward_samples": 4,
        "questions_per_image": 4,
        "label_samples": 4,
        "reasoner_group_size": 4,
    },
    "schedule": {
        "iterations": 2,
        "questioner_steps": 2,
        "questioner_images_per_step": 2,
        "reasoner_steps": 2,
        "reasoner_questions_per_step": 3,
        "pool_images": 3,
        "label_chunk_images": 2,
    },
    "trainer": {"optim": {"lr": 1e-3}, "mini_batches": 1},
}
INVALID_REPLY = "I would rather describe the picture."
WORDS = ("bars", "labels", "colours", "lines", "slices", "points", "ticks", "titles")


def small_config(**schedule):
    data = json.loads(json.dumps(SMALL))
    data["schedule"].update(schedule)
    return validate(visplay.Config, data)


def scripted_reply(request, j: int) -> str:
    """The last questioner sample is malformed; reasoner agreement depends on the question."""
    meta = request.meta
    if request.policy == "questioner":
        if j == request.sampling.n - 1:
            return INVALID_REPLY
        word = WORDS[(j + len(meta["image_id"])) % len(WORDS)]
        question = f"How many {word} does chart {meta['image_id']} show in part {j}?"
        return f"<type>numerical</type><question>{question}</question><answer>{j}</answer>"
    k = int(meta["question_id"].rsplit("/q", 1)[1])
    m = request.sampling.n
    if meta["phase"] == "reasoner":
        answer = "3" if j % 2 == 0 else "4"
    else:
        # question k: the first m - (k % 3) samples say 3, the rest 4 (confidence 1, 3/4, 1/2)
        answer = "3" if j < m - (k % 3) else "4"
    return f"Counting carefully. \\boxed{{{answer}}}"


class ScriptedEngine:
    """Real prepared prompts, scripted replies tokenized once (with EOS). Policy logprobs are
    zeros: with one optimizer step per rollout batch the trainer recomputes them on-policy."""

    seen: ClassVar[Counter] = Counter()

    def __init__(self, policies):
        self.processor = policies.processor
        self.tokenizer = tokenizer_of(self.processor)
        self.eos = eos_ids_of(policies.distinct_models()[0], self.processor)[0]

    def generate(self, requests):
        out = []
        for request in requests:
            ScriptedEngine.seen[(request.meta["phase"], request.policy)] += 1
            prompt = prepare_request(self.processor, request)
            group = []
            for j in range(request.sampling.n):
                text = scripted_reply(request, j)
                ids = self.tokenizer(text, add_special_tokens=False)["input_ids"] + [self.eos]
                zeros = torch.zeros(len(ids))
                token_ids = torch.tensor(ids, dtype=torch.long)
                group.append(Completion(request, prompt, j, token_ids, zeros, zeros, text, "stop"))
            out.append(group)
        return out


@pytest.fixture
def scripted(monkeypatch):
    ScriptedEngine.seen = Counter()
    monkeypatch.setattr(
        visplay,
        "rollout_engine",
        lambda policies, seed, budget, vllm=None: ScriptedEngine(policies),
    )
    return ScriptedEngine


@pytest.fixture(scope="module")
def straight_run(tmp_path_factory):
    """Two iterations without interruption (shared by the artifact and resume tests)."""
    out = tmp_path_factory.mktemp("straight")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(visplay, "rollout_engine", lambda p, s, b, v=None: ScriptedEngine(p))
        visplay.train(small_config(), out)
    return out


def adapters(run: Path, step: int) -> dict[str, dict[str, torch.Tensor]]:
    folder = run / "checkpoints" / f"step_{step}" / "adapters"
    return {
        role: load_file(folder / role / "adapter_model.safetensors")
        for role in ("questioner", "reasoner")
    }


def lora_b_is_zero(weights: dict[str, torch.Tensor]) -> bool:
    return all(float(v.abs().max()) == 0.0 for k, v in weights.items() if "lora_B" in k)


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def metrics(run: Path) -> list[dict]:
    return [
        {k: v for k, v in r.items() if not is_timing_key(k)}
        for r in read_jsonl(run / "metrics.jsonl")
    ]


def test_two_iterations_write_every_artifact(straight_run):
    run = straight_run
    phases = ["questioner_1", "label_1", "reasoner_1", "questioner_2", "label_2", "reasoner_2"]
    assert sorted(p.stem for p in (run / "phases").glob("*.done")) == sorted(phases)
    assert len(list((run / "data" / "images").glob("chart_*.png"))) == 3

    questions = read_jsonl(run / "data" / "iter_1" / "questions.jsonl")
    kept = read_jsonl(run / "data" / "iter_1" / "kept.jsonl")
    assert len(questions) == 3 * 4  # pool 3 images x 4 questions
    # sample 3 is malformed: recorded, never labelled, never kept
    malformed = [q for q in questions if q["sample_index"] == 3]
    assert malformed and all(not q["valid"] and not q["kept"] for q in malformed)
    assert all(q["label"] is None and q["drop_reason"] == "invalid question" for q in malformed)
    # question k has confidence 1, 3/4, 1/2: the paper window [0.25, 0.75] keeps k = 1, 2
    assert sorted({q["sample_index"] for q in kept}) == [1, 2]
    assert all(q["kept"] and q["label"] == "3" and INVALID_REPLY not in q["question"] for q in kept)
    assert all("confidence" in q for q in questions)
    assert not (run / "data" / "iter_1" / "relabelled_previous.jsonl").exists()
    relabelled = read_jsonl(run / "data" / "iter_2" / "relabelled_previous.jsonl")
    assert [r["question_id"] for r in relabelled] == [q["question_id"] for q in kept]

    for phase in ("questioner_1", "reasoner_1", "questioner_2", "reasoner_2"):
        files = sorted(p.name for p in (run / "rollouts" / phase).iterdir())
        assert files == ["step_00001.jsonl", "step_00002.jsonl"]
        record = read_jsonl(run / "rollouts" / phase / files[0])[0]
        assert record["recipe"] == "visplay" and record["phase"] == phase
    assert read_jsonl(run / "rollouts" / "label_1.jsonl")[0]["recipe"] == "visplay"

    records = read_jsonl(run / "metrics.jsonl")
    steps = [r for r in records if not r.get("summary")]
    assert [r["step"] for r in steps] == [1, 2, 3, 4, 5, 6, 7, 8]
    for r in steps:
        for key in ("phase", "stage", "rollout_seconds", "update_seconds", "tokens_per_s", "loss"):
            assert key in r, key
    q1 = next(r for r in steps if r["phase"] == "questioner_1")
    # 2 images x 4 samples; 3 valid per image, confidences 4/4, 3/4, 2/4 (reward samples m = 4)
    assert q1["questioner/valid_frac"] == 0.75
    assert q1["questioner/confidence_hist/4of4"] == 2.0
    assert q1["questioner/confidence_hist/2of4"] == 2.0
    assert q1["questioner/type_frac/numerical"] == 1.0
    assert any(k.startswith("questioner/cluster_size_hist/") for k in q1)
    r1 = next(r for r in steps if r["phase"] == "reasoner_1")
    assert r1["reasoner/accuracy_mean"] == 0.5 and r1["reasoner/kept_questions"] == 6.0
    summaries = {r["phase"]: r for r in records if r.get("summary")}
    assert set(summaries) == set(phases)
    assert summaries["label_1"]["label/kept_frac"] == 6 / 12
    assert summaries["label_1"]["label/dropped/confidence above window"] == 3.0
    assert "label/agreement" not in summaries["label_1"]
    # the unchanged script relabels the previous kept set identically
    assert summaries["label_2"]["label/agreement"] == 1.0
    assert summaries["label_2"]["label/shared"] == 6.0

    # phase-end checkpoints stay (one version of each role per phase), plus the newest two
    steps_kept = sorted(int(p.name[5:]) for p in (run / "checkpoints").glob("step_*"))
    assert steps_kept == [2, 4, 6, 7, 8]
    after_q1, after_r1, after_q2 = adapters(run, 2), adapters(run, 4), adapters(run, 6)
    assert lora_b_is_zero(after_q1["reasoner"]), "the reasoner is frozen in the questioner phase"
    assert not lora_b_is_zero(after_q1["questioner"])
    assert same(after_r1["questioner"], after_q1["questioner"])
    assert not same(after_r1["reasoner"], after_q1["reasoner"])
    assert same(after_q2["reasoner"], after_r1["reasoner"])
    assert not same(after_q2["questioner"], after_r1["questioner"])


def test_stop_after_questioner_then_rerun_skips_it(tmp_path, scripted):
    visplay.train(small_config(iterations=1, stop_after="questioner_1"), tmp_path)
    assert sorted(p.stem for p in (tmp_path / "phases").glob("*.done")) == ["questioner_1"]
    assert ("questioner", "questioner") in scripted.seen
    first_rollout = (tmp_path / "rollouts" / "questioner_1" / "step_00001.jsonl").read_bytes()

    scripted.seen.clear()
    visplay.train(small_config(iterations=1), tmp_path)
    assert sorted(p.stem for p in (tmp_path / "phases").glob("*.done")) == [
        "label_1",
        "questioner_1",
        "reasoner_1",
    ]
    assert ("questioner", "questioner") not in scripted.seen, "the finished phase was replayed"
    assert (
        scripted.seen[("label", "questioner")] > 0 and scripted.seen[("reasoner", "reasoner")] > 0
    )
    assert (
        tmp_path / "rollouts" / "questioner_1" / "step_00001.jsonl"
    ).read_bytes() == first_rollout
    phases = [r["phase"] for r in read_jsonl(tmp_path / "metrics.jsonl") if not r.get("summary")]
    assert phases == ["questioner_1"] * 2 + ["reasoner_1"] * 2


def test_crash_mid_phase_resumes_from_its_checkpoint(tmp_path, scripted, monkeypatch, straight_run):
    original = Trainer.train
    calls = Counter()

    def crash_on_second_reasoner_step(self, policy, samples):
        calls[policy] += 1
        if policy == "reasoner" and calls[policy] == 2:
            raise RuntimeError("simulated crash")
        return original(self, policy, samples)

    monkeypatch.setattr(Trainer, "train", crash_on_second_reasoner_step)
    with pytest.raises(RuntimeError, match="simulated crash"):
        visplay.train(small_config(), tmp_path)
    assert not (tmp_path / "phases" / "reasoner_1.done").exists()
    state = json.loads((tmp_path / "checkpoints" / "step_3" / "state.json").read_text())
    assert state["recipe_state"]["phase"] == "reasoner_1"
    assert state["recipe_state"]["phase_step"] == 1

    monkeypatch.setattr(Trainer, "train", original)
    scripted.seen.clear()
    visplay.train(small_config(), tmp_path)
    # questioner_1 and label_1 are finished: only questioner_2 asks questions in its phase
    # (2 steps x 2 images), and reasoner_1 replays only its second step (3 questions)
    assert scripted.seen[("questioner", "questioner")] == 4
    assert scripted.seen[("reasoner", "reasoner")] == 3 + 2 * 3
    # same weights and same metrics as the run that never stopped
    for step in (4, 8):
        resumed, straight = adapters(tmp_path, step), adapters(straight_run, step)
        for role in ("questioner", "reasoner"):
            assert same(resumed[role], straight[role]), (step, role)
    assert metrics(tmp_path) == metrics(straight_run)


def test_cli_tiny_preset_with_real_sampling(tmp_path):
    from zeroplay.cli.train import app

    preset = validate(visplay.Config, read_preset("visplay", "tiny"))
    assert preset.schedule.iterations == 1
    args = ["visplay", "--out", str(tmp_path), "schedule.questioner_steps=1"]
    args += ["schedule.reasoner_steps=1", "data.generate_charts=2", "schedule.pool_images=2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.stem for p in (tmp_path / "phases").glob("*.done")) == [
        "label_1",
        "questioner_1",
        "reasoner_1",
    ]
    # rerunning the finished run does nothing and succeeds
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    changed = CliRunner().invoke(app, [*args[:-1], "schedule.pool_images=1"])
    assert changed.exit_code == 2 and "different config" in changed.output


def test_phase_start_kl_anchor_is_each_role_as_its_phase_began(tmp_path, scripted):
    """`kl_reference=phase_start` (the released code): every training phase re-anchors the KL
    term at the trained role's weights when the phase began; the anchor is checkpointed."""
    config = small_config(iterations=1).model_copy(update={"kl_reference": "phase_start"})
    assert config.trainer.loss.kl_coef > 0
    visplay.train(config, tmp_path)

    def adapter(step: int, name: str) -> dict[str, torch.Tensor]:
        folder = tmp_path / "checkpoints" / f"step_{step}" / "adapters" / name
        return load_file(folder / "adapter_model.safetensors")

    # questioner_1 ends at step 2: its anchor is the questioner it started from (untrained)
    assert lora_b_is_zero(adapter(2, "phase_start"))
    assert not lora_b_is_zero(adapter(2, "questioner"))
    # reasoner_1 ends at step 4: its anchor is the reasoner as reasoner_1 began (step 2)
    assert same(adapter(4, "phase_start"), adapter(2, "reasoner"))
    assert not same(adapter(4, "phase_start"), adapter(4, "reasoner"))


def test_metrics_go_to_the_trackers(tmp_path, scripted, monkeypatch):
    """`run.trackers`: every metrics record is also forwarded to accelerate's trackers."""
    from zeroplay import runtime

    sent: list[dict] = []
    started = []

    def forwarder(accelerator, name, config):
        started.append((name, config.run.trackers))
        return sent.append

    monkeypatch.setattr(runtime, "tracker_forwarder", forwarder)
    visplay.train(small_config(iterations=1, stop_after="questioner_1"), tmp_path)
    assert started == [("visplay", [])]
    assert sent == read_jsonl(tmp_path / "metrics.jsonl")
    assert [r["phase_step"] for r in sent if not r.get("summary")] == [1, 2]


def test_control_run_permutes_each_batchs_rewards(tmp_path, scripted, monkeypatch):
    """`control.permute_rewards`: every step's batch reaches `train_on_turns` with a control
    stream seeded by (run seed, phase, step), so a resumed run permutes alike; off, none."""
    from zeroplay import runtime

    states: list[object] = []
    real = runtime.train_on_turns

    def spy(*args, control=None, **kwargs):
        states.append(None if control is None else control.getstate())
        return real(*args, control=control, **kwargs)

    monkeypatch.setattr(runtime, "train_on_turns", spy)
    config = small_config(iterations=1, stop_after="questioner_1")
    visplay.train(config, tmp_path / "plain")
    assert states and all(s is None for s in states)
    states.clear()
    switch = config.control.model_copy(update={"permute_rewards": True})
    visplay.train(config.model_copy(update={"control": switch}), tmp_path / "control")
    seed = config.run.seed
    assert states == [
        random.Random(f"control/{seed}/questioner_1/{step}").getstate() for step in (0, 1)
    ]
