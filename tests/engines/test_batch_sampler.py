"""The vectorised sampler: same distributions as the per-row sampler, seeds, padding, prefill once."""

from __future__ import annotations

import random

import pytest
import torch
from PIL import Image

from zeroplay.engines import lean_decode
from zeroplay.engines.hf import HFEngine
from zeroplay.engines.lean_decode import LeanDecoder
from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
from zeroplay.engines.row_sampler import BatchSampler, RowState, inverse_cdf_sample

EOS = [3, 7]
SUPPRESSED = [11]
PAD = 0


def _per_row_reference(logits, seen_ids, p: SamplingParams, step: int):
    """The per-row sampler zeroplay used before vectorising (a Python loop over rows), kept here
    as the oracle: penalty over the row's real tokens, blocks, temperature, top-k, top-p."""
    temperature = p.temperature if p.temperature > 0 else 1.0
    policy_lp = torch.log_softmax(logits / temperature, dim=-1)
    scores = logits
    if p.repetition_penalty != 1.0:
        prev = scores.gather(0, seen_ids)
        penalised = torch.where(prev < 0, prev * p.repetition_penalty, prev / p.repetition_penalty)
        scores = scores.scatter(0, seen_ids, penalised)
    blocked = list(SUPPRESSED)
    if step < p.min_new_tokens:
        blocked += EOS
    scores = scores.clone()
    scores[blocked] = float("-inf")
    scores = scores / temperature
    if p.top_k > 0 and p.top_k < scores.shape[-1]:
        kth = torch.topk(scores, p.top_k).values[-1]
        scores = scores.masked_fill(scores < kth, float("-inf"))
    if p.top_p < 1.0:
        sorted_scores, order = torch.sort(scores, descending=True)
        probs = torch.softmax(sorted_scores, dim=-1)
        before = torch.cumsum(probs, dim=-1) - probs
        drop = torch.zeros_like(before, dtype=torch.bool).scatter(0, order, before >= p.top_p)
        scores = scores.masked_fill(drop, float("-inf"))
    return torch.log_softmax(scores, dim=-1), policy_lp


SETTINGS = {
    "temperature": SamplingParams(temperature=0.7),
    "greedy": SamplingParams(temperature=0.0),
    "top_k": SamplingParams(temperature=1.0, top_k=5),
    "top_p": SamplingParams(temperature=0.9, top_p=0.8),
    "top_k_top_p": SamplingParams(temperature=1.3, top_k=40, top_p=0.6),
    "min_new_tokens": SamplingParams(min_new_tokens=4),
    "repetition_penalty": SamplingParams(repetition_penalty=1.5),
}


def _batch(params: list[SamplingParams], vocab: int = 64, width: int = 9, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(len(params), vocab, generator=gen) * 3
    ids = torch.randint(1, vocab, (len(params), width), generator=gen)
    mask = torch.ones_like(ids)
    for i in range(len(params)):  # left padding of different widths
        mask[i, : i % 4] = 0
        ids[i, : i % 4] = PAD
    rows = [RowState(p, random.Random(i), [], [], []) for i, p in enumerate(params)]
    sampler = BatchSampler(
        rows, EOS, SUPPRESSED, prompt_ids=ids, prompt_mask=mask, vocab_size=vocab
    )
    return sampler, logits, ids, mask


@pytest.mark.parametrize("name", [*SETTINGS, "mixed"])
@pytest.mark.parametrize("step", [0, 5])
def test_filtered_distributions_equal_the_per_row_sampler(name: str, step: int):
    params = list(SETTINGS.values()) * 2 if name == "mixed" else [SETTINGS[name]] * 5
    sampler, logits, ids, mask = _batch(params)
    sample_lp, policy_lp = sampler.log_probs(logits, step)
    for i, p in enumerate(params):
        expected, expected_policy = _per_row_reference(logits[i], ids[i][mask[i] == 1], p, step)
        assert torch.equal(sample_lp[i], expected), f"row {i} ({p})"
        assert torch.equal(policy_lp[i], expected_policy)


def test_padding_is_never_penalised():
    params = [SamplingParams(repetition_penalty=2.0)] * 4
    sampler, logits, ids, mask = _batch(params)
    logits[:, PAD] = 5.0
    sample_lp, _ = sampler.log_probs(logits, 0)
    # row 0 has no padding, the others do: the pad id keeps its logit everywhere
    assert not (ids[0] == PAD).any()
    plain = torch.log_softmax(logits, -1)[:, PAD]
    for i in range(4):
        row_seen = ids[i][mask[i] == 1]
        assert PAD not in row_seen.tolist()
        assert sample_lp[i, PAD] > plain[i]  # others penalised, pad not: its share grows


def test_inverse_cdf_matches_probabilities_and_skips_zeros():
    probs = torch.tensor([[0.0, 0.5, 0.0, 0.25, 0.25, 0.0]])
    n = 4000
    u = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    picks = inverse_cdf_sample(probs.expand(n, -1), u)
    counts = torch.bincount(picks, minlength=6).tolist()
    assert counts == [0, 2000, 0, 1000, 1000, 0]
    # the largest uniform `random.random()` returns still lands on the last positive entry
    for total in (1.0, 0.75, 0.7500000000000001, 1.3, 1e-30):
        edge = inverse_cdf_sample(probs * total, torch.tensor([1.0 - 2**-53], dtype=torch.float64))
        assert edge.tolist() == [4], total


def test_seeded_rows_draw_the_same_alone_and_batched():
    p = SamplingParams(temperature=1.0, top_p=0.9, repetition_penalty=1.3)
    alone, logits, ids, mask = _batch([p])
    together, logits_b, ids_b, mask_b = _batch([SamplingParams(top_k=3), p, p], seed=0)
    # give row 1 of the batch the lone row's inputs; its own generator has seed 1, so reseed
    logits_b[1], ids_b[1], mask_b[1] = logits[0], ids[0], mask[0]
    together = BatchSampler(
        together.rows, EOS, SUPPRESSED, prompt_ids=ids_b, prompt_mask=mask_b, vocab_size=64
    )
    together.rows[1].generator = random.Random(0)
    for step in range(6):
        a = alone.step(logits, step)
        b = together.step(logits_b, step)
        assert a[0] == b[1]
    assert alone.rows[0].tokens == together.rows[1].tokens
    assert alone.rows[0].logprobs == together.rows[1].logprobs


def test_seeded_request_with_penalty_is_batch_independent(tiny_qwen):
    """Left padding used to count as 'seen' tokens, so a padded row got other logprobs."""
    model, processor = tiny_qwen
    sampling = SamplingParams(n=2, temperature=1.0, repetition_penalty=1.5, max_new_tokens=8)
    short = ChatRequest([user_message("Hi.")], [], sampling.with_(seed=5))
    long = ChatRequest(
        [user_message("A much longer prompt that forces left padding on the short one.", 1)],
        [Image.new("RGB", (84, 56), "red")],
        sampling,
    )
    alone = HFEngine(model, processor).generate([short])[0]
    batched = HFEngine(model, processor).generate([long, short])[1]
    for a, b in zip(alone, batched, strict=True):
        assert a.token_ids.tolist() == b.token_ids.tolist()
        torch.testing.assert_close(a.logprobs, b.logprobs, atol=1e-5, rtol=0)
        torch.testing.assert_close(a.policy_logprobs, b.policy_logprobs, atol=1e-5, rtol=0)


def test_each_distinct_prompt_is_prefilled_once(tiny_qwen):
    model, processor = tiny_qwen
    sampling = SamplingParams(n=4, max_new_tokens=5, seed=1)
    red = Image.new("RGB", (84, 84), "red")

    def request(image):
        return ChatRequest([user_message("Colour?", 1)], [image], sampling)

    # two requests with equal content (a new image object each time) and one other prompt
    reqs = [request(red), request(red.copy()), request(Image.new("RGB", (56, 56), "blue"))]
    images, prefill_rows = [], []

    def on_visual(module, args, kwargs):
        images.append(int(kwargs["grid_thw"].shape[0]))

    def on_language(module, args, kwargs):
        embeds = kwargs["inputs_embeds"]
        if embeds.shape[1] > 1:
            prefill_rows.append(int(embeds.shape[0]))

    hooks = [
        model.model.visual.register_forward_pre_hook(on_visual, with_kwargs=True),
        model.model.language_model.register_forward_pre_hook(on_language, with_kwargs=True),
    ]
    try:
        out = HFEngine(model, processor).generate(reqs)
    finally:
        for h in hooks:
            h.remove()
    assert sum(images) == 2 and prefill_rows == [2]
    assert [len(g) for g in out] == [4, 4, 4]
    # equal prompts with equal seeds sample the same; the forked cache is the prompt's own
    assert [c.token_ids.tolist() for c in out[0]] == [c.token_ids.tolist() for c in out[1]]


def test_keep_subsets_every_per_row_setting():
    params = [SamplingParams(top_k=3), SamplingParams(temperature=0.0), SamplingParams(top_p=0.5)]
    sampler, logits, _, _ = _batch(params)
    full_lp = sampler.log_probs(logits, 0)
    sampler.keep(torch.tensor([0, 2]))
    assert [r.params for r in sampler.rows] == [params[0], params[2]]
    assert not sampler.any_greedy
    kept_lp = sampler.log_probs(logits[[0, 2]], 0)
    for full, kept in zip(full_lp, kept_lp, strict=True):
        assert torch.equal(full[[0, 2]], kept)


@pytest.mark.parametrize("decode", ["forward", "lean", "lean-packed"])
def test_finished_rows_leave_the_decode_and_change_nothing(tiny_qwen, decode, monkeypatch):
    """Rows that stop early are dropped from the decode batch; every row's tokens and logprobs
    are those of a decode that keeps idle rows to the end (with the model's own forward, and
    with the lean decode step, which must drop its rotary rows with the cache's; packed, its
    GEMMs pad the fewer rows or pack again)."""
    model, processor = tiny_qwen
    lean = decode != "forward"
    if decode == "lean-packed":
        monkeypatch.setattr(lean_decode, "PACK_MIN_STEPS", 1)
    reqs = [
        ChatRequest(
            [user_message(f"Say something about {n} things.")],
            [],
            SamplingParams(n=3, max_new_tokens=n, seed=n, repetition_penalty=1.2),
        )
        for n in (2, 3, 12)
    ]
    widths: list[int] = []

    def on_language(module, args, kwargs):
        widths.append(int(kwargs["inputs_embeds"].shape[0]))

    lean_step = LeanDecoder.step

    def counted_step(self, tokens, *args, **kwargs):
        widths.append(int(tokens.shape[0]))
        return lean_step(self, tokens, *args, **kwargs)

    monkeypatch.setattr(LeanDecoder, "step", counted_step)
    hook = model.model.language_model.register_forward_pre_hook(on_language, with_kwargs=True)
    try:
        dropped = HFEngine(model, processor, lean_decode=lean).generate(reqs)
        decode_widths, widths[:] = widths[1:], []
        kept = HFEngine(model, processor, drop_finished_every=0, lean_decode=lean).generate(reqs)
        kept_widths = widths[1:]
    finally:
        hook.remove()
    assert kept_widths == [9] * 11
    # rows live after decode step s: those with more than s + 1 tokens; the 2- and 3-token
    # requests' rows are done after steps 1 and 2, more than a quarter of the batch
    lengths = [len(c.token_ids) for group in kept for c in group]
    live = [sum(n > s + 1 for n in lengths) for s in range(len(decode_widths))]
    assert all(w >= n for w, n in zip(decode_widths, live, strict=True))
    assert decode_widths[2:] == live[2:] and live[2] <= 3
    flat = [[c for group in run for c in group] for run in (dropped, kept)]
    for a, b in zip(*flat, strict=True):
        assert a.token_ids.tolist() == b.token_ids.tolist()
        assert a.finish_reason == b.finish_reason
        torch.testing.assert_close(a.policy_logprobs, b.policy_logprobs, atol=1e-5, rtol=0)
