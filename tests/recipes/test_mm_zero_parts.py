"""The MM-Zero recipe's parts: config, presets, batches, images, weights, engine, store."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import torch
import yaml
from PIL import Image

from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
from zeroplay.games.mm_zero import MMZeroGameConfig, SeedPrompt, seed_prompts
from zeroplay.recipes.config_io import ConfigError, preset_names, read_preset, validate
from zeroplay.recipes.mm_zero import Config
from zeroplay.recipes.mm_zero.batches import (
    clamped_batch,
    cyclic_batch,
    offline_seed_rows,
    updates_per_step,
)
from zeroplay.recipes.mm_zero.images import SolverImages, fit_pixels, load_png, save_png
from zeroplay.recipes.mm_zero.store import phase_plan
from zeroplay.recipes.mm_zero.weights import PhaseTrainer
from zeroplay.rl.adapters import copy_adapter, reset_adapter
from zeroplay.rl.metrics import flatten
from zeroplay.rl.rundir import RunDir, read_jsonl, write_jsonl
from zeroplay.runtime.engines import StepEngine
from zeroplay.runtime.phases import Phases, mean_of_numbers

# --- config and presets --------------------------------------------------------------------


def test_game_section_defaults_are_the_game_defaults():
    assert Config().game.build() == MMZeroGameConfig()


def test_game_section_builds_overrides_and_code_quirks():
    config = validate(
        Config,
        {
            "game": {
                "no_merge_rule": True,
                "label_counts_missing_boxes": True,
                "grade_timeout_s": 10.0,
                "judge": {"n": 7, "temperature": 0.5, "top_k": 40, "max_new_tokens": 32},
                "render_rate_window": [0.5, 1.0],
            }
        },
    )
    game = config.game.build()
    assert game == replace(
        MMZeroGameConfig.code(),
        judge=SamplingParams(n=7, temperature=0.5, top_k=40, max_new_tokens=32),
        render_rate_window=(0.5, 1.0),
    )


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"model": {"mode": "shared"}}, "shared"),
        ({"trainer": {"mini_batches": 2}}, "global_batch"),
        ({"game": {"render_rate_window": [0.8, 0.2]}}, "render_rate_window"),
        ({"game": {"codegen_offline": {"n": 2}}}, "codegen_offline.n"),
        ({"game": {"codegen_judge": "oracle"}}, "codegen_judge"),
        ({"render": {"min_pixels": 10, "max_pixels": 5}}, "min_pixels"),
        ({"advantage": {"kind": "center", "std": "unbiased"}}, "std"),
        ({"solver": {"rollout_batch": 0}}, "solver.rollout_batch"),
        ({"codegen": {"proposal": 3}}, "unknown key 'codegen.proposal'"),
    ],
)
def test_bad_configs_are_rejected_with_the_key(data, fragment):
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.").replace("(", r"\(")):
        validate(Config, data)


def test_snapshot_is_kept_only_when_something_uses_it():
    assert Config().needs_snapshot  # the CodeGen-phase judge runs the CodeGen starting weights
    no_judge = {"game": {"codegen_judge": "previous_solver"}}
    assert validate(Config, no_judge).needs_snapshot  # the KL reference is the phase start
    base_kl = {**no_judge, "kl_reference": "base"}
    assert not validate(Config, base_kl).needs_snapshot
    no_kl = {**no_judge, "trainer": {"loss": {"kl_coef": 0.0}}}
    assert not validate(Config, no_kl).needs_snapshot


def test_default_trainer_is_easyr1s():
    trainer = Config().trainer
    assert (trainer.optim.lr, trainer.optim.weight_decay, trainer.optim.max_grad_norm) == (
        1e-6,
        0.01,
        1.0,
    )
    loss = trainer.loss
    assert (loss.epsilon_low, loss.epsilon_high, loss.dual_clip) == (0.2, 0.3, 3.0)
    assert (loss.aggregation, loss.kl_coef, loss.kl_estimator) == ("token_mean", 0.01, "k3")
    partial = validate(Config, {"trainer": {"optim": {"lr": 1e-4}, "loss": {"kl_coef": 0.02}}})
    assert (partial.trainer.optim.weight_decay, partial.trainer.loss.dual_clip) == (0.01, 3.0)
    assert (partial.trainer.optim.lr, partial.trainer.loss.kl_coef) == (1e-4, 0.02)
    spec = Config().advantage.build()
    assert (spec.kind, spec.std, spec.eps) == ("zscore", "unbiased", 1e-6)


def test_presets_validate_and_say_what_they_reproduce():
    names = preset_names("mm-zero")
    assert {"tiny", "qwen3-vl-8b", "qwen3-vl-4b", "released-code"} <= set(names)
    folder = Path(__file__).parents[2] / "src" / "zeroplay" / "configs" / "mm_zero"
    for name in names:
        text = (folder / f"{name}.yaml").read_text()
        assert text.startswith("# "), name
        validate(Config, read_preset("mm-zero", name))
    released = validate(Config, read_preset("mm-zero", "released-code"))
    assert released.game.build() == replace(MMZeroGameConfig.code(), seed_style="topic")
    assert (released.render.backend, released.render.background) == ("cairosvg", "black")
    four_b = validate(Config, read_preset("mm-zero", "qwen3-vl-4b"))
    assert four_b.game.solver_init == "base"
    assert (four_b.proposer.rollout_batch, four_b.proposer.global_batch) == (24, 24)
    eight_b = validate(Config, read_preset("mm-zero", "qwen3-vl-8b"))
    assert (eight_b.codegen.proposals, eight_b.solver.proposals) == (3304, 5000)
    assert yaml.safe_load((folder / "tiny.yaml").read_text())["iterations"] == 1


# --- batches -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "available", "expected"),
    [
        (320, 1196, 320),
        (320, 320, 320),
        (320, 319, 256),
        (320, 53, 32),
        (320, 16, 16),
        (320, 15, 15),
        (512, 91, 64),
        (4, 3, 3),
    ],
)
def test_clamped_batch(requested, available, expected):
    assert clamped_batch(requested, available) == expected


def test_updates_per_step():
    assert updates_per_step(320, 64) == 5  # CodeGen: 320 prompts, 64 per update
    assert updates_per_step(512, 64) == 8  # Solver
    assert updates_per_step(18, 18) == 1  # Proposer
    assert updates_per_step(32, 64) == 1  # clamped data: the global batch shrinks with it
    assert updates_per_step(100, 64) == 2


def test_cyclic_batch_is_a_reshuffled_drop_last_loader():
    items = list(range(10))
    epoch0 = [cyclic_batch(items, 3, k, "key") for k in range(3)]
    flat = [x for batch in epoch0 for x in batch]
    assert len(set(flat)) == 9  # three disjoint batches, one item dropped
    epoch1 = [cyclic_batch(items, 3, k, "key") for k in range(3, 6)]
    assert len({x for batch in epoch1 for x in batch}) == 9
    assert epoch0 != epoch1  # reshuffled
    assert cyclic_batch(items, 3, 4, "key") == cyclic_batch(items, 3, 4, "key")
    assert cyclic_batch(items, 3, 4, "key") != cyclic_batch(items, 3, 4, "other")
    assert sorted(cyclic_batch(items, 10, 7, "key")) == items
    with pytest.raises(ValueError):
        cyclic_batch(items, 11, 0, "key")


def test_offline_rows_cycle_topics_like_the_released_generator():
    seeds = seed_prompts(2, seed=0)
    rows = offline_seed_rows(seeds, 20, "k")
    topics = list(dict.fromkeys(s.topic for s in seeds))
    assert [r.topic for r in rows] == [topics[j % 8] for j in range(20)]
    first_topic = [r.seed_id for r in rows[0::8]]  # rows 0, 8, 16: topic 0, both rows, repeat
    assert len(set(first_topic[:2])) == 2 and first_topic[2] == first_topic[0]
    assert rows == offline_seed_rows(seeds, 20, "k")
    single = [SeedPrompt("a-0", "t", "t")]
    assert offline_seed_rows(single, 3, "k") == single * 3


# --- images --------------------------------------------------------------------------------


def test_fit_pixels_hand_computed():
    big = Image.new("RGB", (800, 600), "white")
    # 480000 px > 262144: factor sqrt(262144 / 480000) = 0.73901..., sides truncated.
    factor = math.sqrt(262144 / 480000)
    assert (
        fit_pixels(big, None, 262144).size
        == (int(800 * factor), int(600 * factor))
        == (
            591,
            443,
        )
    )
    small = Image.new("RGB", (10, 40), "white")
    assert fit_pixels(small, 1600, None).size == (20, 80)  # factor sqrt(1600 / 400) = 2
    assert fit_pixels(small, 100, 1000).size == (10, 40)
    assert fit_pixels(small, None, None) is small


@dataclass
class _Rendered:
    ok: bool
    image: Image.Image | None
    reason: str | None
    width: int = 0
    height: int = 0


def test_solver_images_bounds_remembers_and_saves(tmp_path):
    def render(codes):
        return [
            _Rendered(True, Image.new("RGB", (40, 10), "red"), None, 40, 10)
            if "ok" in c
            else _Rendered(False, None, "refused: malformed XML")
            for c in codes
        ]

    images = SolverImages(render, min_pixels=None, max_pixels=100, keep=1)
    out = images(["ok-1", "bad", "ok-2"])
    assert [r.ok for r in out] == [True, False, True]
    assert (out[0].width, out[0].height) == (20, 5) == out[0].image.size
    assert list(images.images) == ["ok-1"]  # keep=1
    written = images.save([("a", "ok-1"), ("b", "ok-2"), ("c", "bad")], tmp_path / "png")
    assert written == ["a"]
    again = load_png(tmp_path / "png" / "a.png")
    assert again.mode == "RGB" and again.tobytes() == out[0].image.tobytes()
    save_png(Image.new("RGB", (3, 2), "blue"), tmp_path / "x.png")
    assert load_png(tmp_path / "x.png").getpixel((0, 0)) == (0, 0, 255)


# --- engine --------------------------------------------------------------------------------


@dataclass
class _Done:
    request: ChatRequest
    num_tokens: int = 3


class _Echo:
    def __init__(self):
        self.seen: list[str] = []

    def generate(self, requests):
        self.seen += [r.policy for r in requests]
        return [[_Done(r) for _ in range(r.sampling.n)] for r in requests]


def test_step_engine_aliases_policies_and_counts_tokens():
    inner = _Echo()
    engine = StepEngine(inner, {"solver": "phase_start"})
    requests = [
        ChatRequest([user_message("q")], sampling=SamplingParams(n=2), policy="solver"),
        ChatRequest([user_message("c")], sampling=SamplingParams(n=1), policy="codegen"),
    ]
    out = engine.generate(requests)
    assert inner.seen == ["phase_start", "codegen"]
    assert requests[0].policy == "solver"  # the caller's request is not modified
    assert [len(x) for x in out] == [2, 1] and engine.tokens == 9


# --- weights -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lora_model():
    from zeroplay.models.loader import LoraSettings, ModelSettings, load_policy

    torch.manual_seed(0)
    model, _ = load_policy(
        ModelSettings(name="tiny", device="cpu", lora=LoraSettings(r=4), adapters=("left", "right"))
    )
    return model


def _adapter(model, name):
    return {
        n.replace(f".{name}.", "."): p.detach().clone()
        for n, p in model.named_parameters()
        if f".{name}." in n
    }


def test_copy_adapter_copies_every_lora_tensor(lora_model):
    with torch.no_grad():
        for n, p in lora_model.named_parameters():
            if ".left." in n and "lora_B" in n:
                p.normal_()
    before = _adapter(lora_model, "right")
    assert _adapter(lora_model, "left").keys() == before.keys()
    copy_adapter(lora_model, "left", "right")
    left, right = _adapter(lora_model, "left"), _adapter(lora_model, "right")
    assert all(torch.equal(left[k], right[k]) for k in left)
    assert not all(torch.equal(before[k], right[k]) for k in left)
    with pytest.raises(ValueError):
        copy_adapter(lora_model, "left", "missing")


def test_reset_adapter_is_seeded_and_adds_nothing(lora_model):
    reset_adapter(lora_model, "right", seed=5)
    first = _adapter(lora_model, "right")
    assert all(torch.count_nonzero(v) == 0 for k, v in first.items() if "lora_B" in k)
    assert any(torch.count_nonzero(v) > 0 for k, v in first.items() if "lora_A" in k)
    state = torch.get_rng_state()
    reset_adapter(lora_model, "right", seed=5)
    assert torch.equal(state, torch.get_rng_state())  # the global stream is left alone
    again = _adapter(lora_model, "right")
    assert all(torch.equal(first[k], again[k]) for k in first)
    ids = torch.tensor([[5, 6, 7, 8]])
    lora_model.set_adapter("right")
    with torch.no_grad():
        restarted = lora_model(input_ids=ids).logits
        with lora_model.disable_adapter():
            base = lora_model(input_ids=ids).logits
    torch.testing.assert_close(restarted, base, rtol=0, atol=0)


def test_phase_trainer_restores_only_its_own_role():
    class _Fake:
        def __init__(self):
            self.loaded = None

        def state_dict(self):
            return {"w": 1}

        def load_state_dict(self, state):
            self.loaded = state

    holder = PhaseTrainer()
    assert holder.state_dict() == {"role": None, "trainer": None}
    holder.load_state_dict({"role": "codegen", "trainer": {"w": 2}})  # no trainer: ignored
    fake = _Fake()
    holder.start("codegen", fake)
    assert holder.state_dict() == {"role": "codegen", "trainer": {"w": 1}}
    holder.load_state_dict({"role": "proposer", "trainer": {"w": 3}})
    assert fake.loaded is None
    holder.load_state_dict({"role": "codegen", "trainer": {"w": 4}})
    assert fake.loaded == {"w": 4}


# --- store ---------------------------------------------------------------------------------


def test_phase_plan_numbers_global_steps():
    plan = phase_plan(2, {"proposer": 3, "codegen": 2, "solver": 4})
    assert [p.name for p in plan[:6]] == [
        "iter_1.proposer",
        "iter_1.codegen_data",
        "iter_1.codegen",
        "iter_1.solver_data",
        "iter_1.solver",
        "iter_1.coevolution",
    ]
    assert [(p.first_step, p.last_step) for p in plan] == [
        (0, 3),
        (3, 3),
        (3, 5),
        (5, 5),
        (5, 9),
        (9, 9),
        (9, 12),
        (12, 12),
        (12, 14),
        (14, 14),
        (14, 18),
        (18, 18),
    ]
    assert [p.is_training for p in plan[:6]] == [True, False, True, False, True, False]


def test_truncate_metrics_drops_lost_work(tmp_path):
    run = RunDir(tmp_path).create()
    write_jsonl(
        run.metrics,
        [
            {"step": 1, "phase": "iter_1.proposer"},
            {"step": 2, "phase": "iter_1.proposer"},
            {"step": 2, "phase": "iter_1.proposer", "summary": True},
            {"step": 2, "phase": "iter_1.codegen_data", "summary": True},
            {"step": 3, "phase": "iter_1.codegen"},
            {"step": 4, "phase": "iter_1.codegen"},
        ],
    )
    run.mark_phase("iter_1.proposer")
    Phases(run, []).truncate_metrics(3)
    assert [(r["step"], r["phase"], r.get("summary", False)) for r in read_jsonl(run.metrics)] == [
        (1, "iter_1.proposer", False),
        (2, "iter_1.proposer", False),
        (2, "iter_1.proposer", True),
        (3, "iter_1.codegen", False),
    ]


def test_mean_of_numbers_and_flatten():
    records = [{"reward/a": 1.0, "reward/b": 2, "x": 5}, {"reward/a": 3.0, "reward/c": "no"}]
    assert mean_of_numbers(records, "reward/") == {"reward/a": 2.0, "reward/b": 2.0}
    assert flatten({"a": {"b": 1, "c": {"d": [1, 2]}}, "e": None}, "p/") == {
        "p/a/b": 1,
        "p/a/c/d": [1, 2],
        "p/e": None,
    }


@pytest.fixture(scope="module")
def role_policies():
    from zeroplay.models.loader import LoraSettings, ModelSettings
    from zeroplay.recipes.mm_zero.weights import load_roles

    torch.manual_seed(0)
    return load_roles(
        ModelSettings(name="tiny", device="cpu"),
        "lora",
        LoraSettings(r=4),
        snapshot=True,
        kl_reference="phase_start",
    )


def _perturb(model, adapter, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if f".{adapter}." in n and "lora_B" in n:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.5)


def test_phase_start_reference_is_the_snapshot_and_keeps_gradients(role_policies):
    policies = role_policies
    model = policies.model("proposer")
    ids = torch.tensor([[5, 6, 7, 8, 9]])
    _perturb(model, "proposer", 1)
    policies.take_snapshot("proposer")
    with policies.activate("proposer"), torch.no_grad():
        at_start = model(input_ids=ids).logits
    _perturb(model, "proposer", 2)  # training moves on
    with policies.activate("proposer"):
        logits = model(input_ids=ids).logits
        with torch.no_grad(), policies.reference("proposer") as reference:
            anchored = reference(input_ids=ids).logits
        logits.sum().backward()
    torch.testing.assert_close(anchored, at_start, rtol=0, atol=0)
    assert not torch.equal(anchored, logits.detach())
    trained = [p for n, p in model.named_parameters() if ".proposer." in n and "lora_B" in n]
    assert trained and all(p.grad is not None for p in trained)  # nothing dropped at backward
    model.zero_grad(set_to_none=True)


def test_separate_restart_reloads_the_base_weights():
    from zeroplay.models.loader import ModelSettings
    from zeroplay.recipes.mm_zero.weights import load_roles

    policies = load_roles(
        ModelSettings(name="tiny", device="cpu"),
        "separate",
        None,
        snapshot=True,
        kl_reference="base",
    )
    solver = policies.model("solver")
    base = {n: p.detach().clone() for n, p in solver.named_parameters()}
    with torch.no_grad():
        for p in solver.parameters():
            p.add_(1.0)
    policies.take_snapshot("solver")
    snapshot = policies.model("phase_start")
    assert all(torch.equal(p, solver.state_dict()[n]) for n, p in snapshot.state_dict().items())
    policies.restart_from_base("solver", seed=0)
    assert all(torch.equal(p, base[n]) for n, p in solver.named_parameters())
    assert not torch.equal(next(snapshot.parameters()), next(solver.parameters()))
