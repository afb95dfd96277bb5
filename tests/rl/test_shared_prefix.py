"""Shared-prefix scoring equals the unshared rows: logprobs and gradients, both architectures."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from zeroplay.engines.hf import eos_ids_of, pad_id_of, placeholder_ids_of, prepare_request
from zeroplay.engines.request import ChatRequest, user_message
from zeroplay.models.loader import LoraSettings, ModelSettings
from zeroplay.rl.collate import collate_samples, micro_batches
from zeroplay.rl.policies import Policies
from zeroplay.rl.samples import Sample
from zeroplay.rl.scorer import CompletionScorer
from zeroplay.rl.shared_prefix import shared_prefix_mask, supports_shared_prefix


def _samples(model, processor, seed: int = 0) -> list[Sample]:
    """Groups of different sizes and completion lengths (some ending in EOS): a one-image
    prompt, a two-image prompt, a text-only prompt, and a prompt that appears once."""
    gen = torch.Generator().manual_seed(seed)
    vocab = model.get_output_embeddings().weight.shape[0]
    banned = set(placeholder_ids_of(model)) | set(eos_ids_of(model, processor))
    allowed = torch.tensor([i for i in range(vocab) if i not in banned])
    eos = eos_ids_of(model, processor)[0]
    requests = [
        ChatRequest(
            [user_message("What colour is it?", 1)], [Image.new("RGB", (84, 56), (200, 30, 30))]
        ),
        ChatRequest(
            [user_message("Compare the two pictures.", 2)],
            [Image.new("RGB", (56, 56), "green"), Image.new("RGB", (70, 84), "yellow")],
        ),
        ChatRequest([user_message("Say a word.")], []),
        ChatRequest([user_message("Alone.", 1)], [Image.new("RGB", (56, 70), "blue")]),
    ]
    sizes = [3, 4, 2, 1]
    samples = []
    for gi, (request, g) in enumerate(zip(requests, sizes, strict=True)):
        prompt = prepare_request(processor, request)
        for j in range(g):
            n = int(torch.randint(2, 9, (1,), generator=gen))
            ids = allowed[torch.randint(0, len(allowed), (n,), generator=gen)]
            if j % 2 == 1:
                ids[-1] = eos  # finished by EOS
            samples.append(
                Sample(prompt, ids, torch.zeros(n), 0.8, 0.0, f"g{gi}", "r", "s", "default")
            )
    return samples


def _logprobs_and_grads(model, samples, pad_id, share: bool):
    scorer = CompletionScorer(model, chunk_size=5, share_prompts=share)
    batch = collate_samples(samples, pad_id, "cpu")
    if share:
        assert scorer.share_prompts and batch.packed is not None
    model.zero_grad(set_to_none=True)
    logp, entropy = scorer(batch, with_entropy=True)
    weights = torch.linspace(-1.0, 1.0, logp.shape[0])
    ((logp * weights).sum() + 0.1 * entropy.sum()).backward()
    grads = {
        n: p.grad.detach().clone()
        for n, p in model.named_parameters()
        if p.requires_grad and p.grad is not None
    }
    return logp.detach(), entropy.detach(), grads


def _assert_same(model, processor, samples):
    pad_id = pad_id_of(processor)
    lp_a, ent_a, grads_a = _logprobs_and_grads(model, samples, pad_id, share=False)
    lp_b, ent_b, grads_b = _logprobs_and_grads(model, samples, pad_id, share=True)
    torch.testing.assert_close(lp_b, lp_a, atol=1e-5, rtol=0)
    torch.testing.assert_close(ent_b, ent_a, atol=1e-5, rtol=0)
    assert grads_a.keys() == grads_b.keys() and grads_a
    for name, g in grads_a.items():
        torch.testing.assert_close(grads_b[name], g, atol=1e-5, rtol=1e-5, msg=name)


def test_shared_prefix_equals_unshared_full_model(tiny_policy):
    name, model, processor = tiny_policy
    assert supports_shared_prefix(model), name
    was_training = model.training
    model.train()
    try:
        _assert_same(model, processor, _samples(model, processor))
    finally:
        model.train(was_training)
        model.zero_grad(set_to_none=True)


@pytest.mark.parametrize("name", ["tiny", "tiny-llava"])
def test_shared_prefix_equals_unshared_with_lora(name):
    policies = Policies.load(
        ModelSettings(name=name, device="cpu"),
        ["player"],
        mode="lora",
        lora=LoraSettings(r=4, alpha=8),
    )
    model = policies.model("player")
    with torch.no_grad():  # a non-trivial adapter (lora_B starts at zero)
        gen = torch.Generator().manual_seed(3)
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.05)
    with policies.activate("player"):
        model.train()
        assert supports_shared_prefix(model)
        _assert_same(model, policies.processor, _samples(model, policies.processor, seed=1))


def test_mask_sees_prompt_and_own_completion_only():
    # one row: prompt of 2, completion 1 of 2 tokens, completion 2 of 1 token, one pad
    segments = torch.tensor([[0, 0, 1, 1, 2, -1]])
    allowed = shared_prefix_mask(segments)[0, 0].int().tolist()
    assert allowed == [
        [1, 0, 0, 0, 0, 0],
        [1, 1, 0, 0, 0, 0],
        [1, 1, 1, 0, 0, 0],
        [1, 1, 1, 1, 0, 0],
        [1, 1, 0, 0, 1, 0],
        [0, 0, 0, 0, 0, 1],
    ]


def test_micro_batches_keep_groups_together(tiny_qwen):
    model, processor = tiny_qwen
    samples = _samples(model, processor)
    budget = 6 * max(s.num_tokens for s in samples)  # every group fits, not all of them
    chunks = list(micro_batches(samples, budget))
    assert len(chunks) > 1
    assert sorted(id(s) for c in chunks for s in c) == sorted(id(s) for s in samples)
    home = {}
    for i, chunk in enumerate(chunks):
        for s in chunk:
            assert home.setdefault(s.prompt.fingerprint, i) == i
    # a budget below one group's packed row cuts it into pieces that each go alone
    tight = list(micro_batches(samples, max(s.num_tokens for s in samples) + 1))
    assert sorted(id(s) for c in tight for s in c) == sorted(id(s) for s in samples)
    for chunk in tight:
        fingerprints = {s.prompt.fingerprint for s in chunk}
        packed = len(fingerprints) * max(
            s.prompt.length + sum(t.num_completion_tokens for t in chunk if t.prompt is s.prompt)
            for s in chunk
        )
        assert packed <= max(s.num_tokens for s in samples) + 1 or len(chunk) == 1


def test_shared_prefix_equals_unshared_with_eager_attention():
    """Eager attention adds the mask to the scores, so it gets an additive float mask."""
    from zeroplay.models.loader import load_policy

    model, processor = load_policy(
        ModelSettings(name="tiny", device="cpu", attn_implementation="eager")
    )
    model.train()
    assert supports_shared_prefix(model)
    _assert_same(model, processor, _samples(model, processor, seed=2))
