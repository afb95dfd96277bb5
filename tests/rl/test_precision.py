"""Mixed precision keeps fp32 master weights; checkpoints keep them; the entropy bonus trains."""

from __future__ import annotations

import json

import pytest
import torch
from PIL import Image

from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
from zeroplay.models.loader import LoraSettings, ModelSettings
from zeroplay.rl.checkpoint import load_checkpoint, save_checkpoint
from zeroplay.rl.config import LossSettings, OptimConfig, TrainerConfig
from zeroplay.rl.policies import Policies
from zeroplay.rl.samples import Sample


@pytest.fixture
def fresh_accelerator():
    """Accelerators with different mixed precision in one process need a state reset."""
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState

    def make(mixed_precision: str = "no"):
        AcceleratorState._reset_state(True)
        return Accelerator(cpu=True, mixed_precision=mixed_precision)

    yield make
    AcceleratorState._reset_state(True)


def _samples(policies, name="default", advantage=True):
    engine = policies.engine(seed=5)
    requests = [
        ChatRequest(
            [user_message("Describe the colour.", 1)],
            [Image.new("RGB", (56, 56), (60 * i, 120, 200 - 50 * i))],
            SamplingParams(n=2, temperature=1.0, max_new_tokens=6, seed=10 + i),
            policy=name,
        )
        for i in range(3)
    ]
    out = []
    for i, group in enumerate(engine.generate(requests)):
        for j, c in enumerate(group):
            s = Sample(
                c.prompt,
                c.token_ids,
                c.policy_logprobs,
                c.temperature,
                0.0,
                f"g{i}",
                "p",
                "a",
                name,
            )
            s.advantage = (1.0 if j == 0 else -1.0) if advantage else 0.0
            out.append(s)
    return out


def _one_step(make_acc, mixed_precision: str, lr: float, samples=None):
    from zeroplay.rl.trainer import Trainer

    torch.manual_seed(0)
    policies = Policies.load(
        ModelSettings(name="tiny", device="cpu", dtype="bfloat16"), ["default"], mode="shared"
    )
    cfg = TrainerConfig(optim=OptimConfig(lr=lr, max_grad_norm=None))
    trainer = Trainer(policies, cfg, make_acc(mixed_precision), {"default": 1})
    samples = samples or _samples(policies)
    model = policies.model("default")
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    trainer.train("default", samples)
    after = {n: p.detach().clone() for n, p in model.named_parameters()}
    return before, after, trainer, samples


def test_bf16_compute_with_master_weights_updates_what_fp32_updates(fresh_accelerator):
    # Both start from the same bf16-loaded weights (upcast to fp32 masters); lr 1e-6.
    b32, a32, _, samples = _one_step(fresh_accelerator, "no", 1e-6)
    b16, a16, trainer, _ = _one_step(fresh_accelerator, "bf16", 1e-6, samples)
    for name in b32:
        assert torch.equal(b32[name], b16[name]), "the two runs must start from the same weights"
        assert a16[name].dtype == torch.float32, f"{name} is not an fp32 master weight"
    moved32 = {n: a32[n] != b32[n] for n in b32}
    moved16 = {n: a16[n] != b16[n] for n in b16}
    total = sum(int(m.sum()) for m in moved32.values())
    both = sum(int((moved32[n] & moved16[n]).sum()) for n in moved32)
    assert total > 0.5 * sum(m.numel() for m in moved32.values())
    assert both / total > 0.99, f"bf16 compute updated only {both / total:.3f} of fp32's entries"
    state = trainer.optimizers["default"].state
    assert state and all(v["exp_avg"].dtype == torch.float32 for v in state.values())


def test_lora_adapters_are_fp32_on_a_bf16_base():
    policies = Policies.load(
        ModelSettings(name="tiny", device="cpu", dtype="bfloat16"),
        ["asker", "solver"],
        mode="lora",
        lora=LoraSettings(r=4, alpha=8),
    )
    named = dict(policies.model("asker").named_parameters())
    assert all(named[n].dtype == torch.float32 for n in named if "lora_" in n)
    base = [p for n, p in named.items() if "lora_" not in n and p.is_floating_point()]
    assert base and all(p.dtype == torch.bfloat16 and not p.requires_grad for p in base)


def test_checkpoint_keeps_fp32_masters_and_exports_the_chosen_dtype(tmp_path, fresh_accelerator):
    from safetensors.torch import load_file

    from zeroplay.rl.trainer import Trainer

    _, after, trainer, _ = _one_step(fresh_accelerator, "bf16", 1e-4)
    policies, acc = trainer.policies, trainer.accelerator
    path = save_checkpoint(tmp_path, 1, policies, trainer, acc)
    exported = {}
    for f in (path / "policy").glob("*.safetensors"):
        exported.update(load_file(f))
    assert exported and all(
        v.dtype == torch.bfloat16 for v in exported.values() if v.is_floating_point()
    )
    assert (path / "master" / "shared.safetensors").exists()
    assert json.loads((path / "state.json").read_text())["kind"] == "shared"

    # A fresh run resumes the exact fp32 weights (not their bf16 rounding).
    torch.manual_seed(1)
    again = Policies.load(
        ModelSettings(name="tiny", device="cpu", dtype="bfloat16"), ["default"], mode="shared"
    )
    resumed = Trainer(again, trainer.cfg, acc, {"default": 1})
    load_checkpoint(path, again, resumed, acc)
    for name, value in again.model("default").named_parameters():
        assert torch.equal(value.detach(), after[name]), name
    assert any(not torch.equal(after[n], exported[n].float()) for n in exported if n in after), (
        "the export must be a rounding of the masters"
    )


def test_entropy_bonus_has_a_gradient(fresh_accelerator):
    from zeroplay.rl.trainer import Trainer

    def moved(entropy_coef: float) -> bool:
        torch.manual_seed(0)
        policies = Policies.load(ModelSettings(name="tiny", device="cpu"), ["default"], "shared")
        cfg = TrainerConfig(
            optim=OptimConfig(lr=1e-3, max_grad_norm=None),
            loss=LossSettings(entropy_coef=entropy_coef),
        )
        trainer = Trainer(policies, cfg, fresh_accelerator("no"), {"default": 1})
        samples = _samples(policies, advantage=False)  # zero advantages: no policy gradient
        model = policies.model("default")
        before = [p.detach().clone() for p in model.parameters()]
        stats = trainer.train("default", samples)
        assert stats["entropy_mean"] > 0
        return any(not torch.equal(b, p) for b, p in zip(before, model.parameters(), strict=True))

    assert not moved(0.0), "with no advantage and no bonus nothing should move"
    assert moved(0.01), "a nonzero entropy_coef must change the weights"


def test_reference_is_scored_under_the_policy_autocast(fresh_accelerator):
    from zeroplay.rl.trainer import Trainer

    torch.manual_seed(0)
    policies = Policies.load(ModelSettings(name="tiny", device="cpu"), ["default"], "shared")
    cfg = TrainerConfig(optim=OptimConfig(lr=1e-5), loss=LossSettings(kl_coef=0.1))
    trainer = Trainer(policies, cfg, fresh_accelerator("bf16"), {"default": 1})
    seen: dict[str, torch.dtype] = {}
    with policies.reference("default") as ref:
        layer = next(m for m in ref.modules() if isinstance(m, torch.nn.Linear))

    def record(_module, _inputs, out) -> None:
        seen.setdefault("ref", out.dtype)

    layer.register_forward_hook(record)
    stats = trainer.train("default", _samples(policies))
    assert seen["ref"] == torch.bfloat16, "the reference forward ran outside the autocast"
    # Same weights, same compute dtype: the first step's KL is (nearly) zero.
    assert stats["kl_mean"] < 1e-3
