"""The RL core's per-phase pieces: "base" as a routable policy and weights-only checkpoint loads."""

from __future__ import annotations

import random

import torch
from PIL import Image

from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
from zeroplay.models.loader import LoraSettings, ModelSettings
from zeroplay.rl.checkpoint import load_weights, save_checkpoint
from zeroplay.rl.policies import Policies

TINY = ModelSettings(name="tiny", device="cpu")


def request(policy: str) -> ChatRequest:
    image = Image.new("RGB", (56, 56), (200, 40, 40))
    sampling = SamplingParams(n=1, temperature=0.0, max_new_tokens=4, seed=7)
    return ChatRequest([user_message("Which colour?", 1)], [image], sampling, policy=policy)


def perturb(parameters, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in parameters:
            p.add_(torch.randn(p.shape, generator=gen) * 0.5)


def test_base_is_routable_under_lora():
    torch.manual_seed(0)
    policies = Policies.load(TINY, ["actor"], "lora", LoraSettings(r=4))
    engine = policies.engine(seed=0)
    (before,) = engine.generate([request("base")])
    perturb(policies.trainable_parameters("actor"), 1)
    base, actor = engine.generate([request("base"), request("actor")])
    assert torch.equal(base[0].token_ids, before[0].token_ids)  # adapters disabled for "base"
    assert not torch.equal(base[0].policy_logprobs, actor[0].policy_logprobs)
    assert len(engine.rng_state()) == 1  # no extra sampler in LoRA mode


def test_base_is_routable_with_full_weights():
    torch.manual_seed(0)
    policies = Policies.load(TINY, ["actor"], "separate")
    start = {n: p.detach().clone() for n, p in policies.model("actor").named_parameters()}
    perturb(policies.model("actor").parameters(), 2)
    engine = policies.engine(seed=0)
    base, actor = engine.generate([request("base"), request("actor")])
    served = policies.serving_model("base")
    assert served is not policies.model("actor")
    assert all(torch.equal(p, start[n].to(p.dtype)) for n, p in served.named_parameters())
    assert not any(p.requires_grad for p in served.parameters())
    assert not torch.equal(base[0].policy_logprobs, actor[0].policy_logprobs)
    assert len(engine.rng_state()) == 1  # checkpointed samplers: the trained models' only


class _NoTrainer:
    def state_dict(self) -> dict:
        return {}


def test_weights_only_load_restores_weights_and_leaves_rng_alone(tmp_path):
    from accelerate import Accelerator

    accelerator = Accelerator(cpu=True)
    torch.manual_seed(0)
    policies = Policies.load(TINY, ["actor"], "lora", LoraSettings(r=4))
    perturb(policies.trainable_parameters("actor"), 3)
    saved = [p.detach().clone() for p in policies.trainable_parameters("actor")]
    path = save_checkpoint(tmp_path, 1, policies, _NoTrainer(), accelerator, keep_last=None)
    perturb(policies.trainable_parameters("actor"), 4)
    torch.manual_seed(11)
    random.seed(11)
    load_weights(path, policies, accelerator)
    assert all(
        torch.equal(a, b)
        for a, b in zip(policies.trainable_parameters("actor"), saved, strict=True)
    )
    # The RNG streams go on from where they were (load_checkpoint would restore the saved ones).
    after = (torch.rand(1), random.random())
    torch.manual_seed(11)
    random.seed(11)
    assert after == (torch.rand(1), random.random())
