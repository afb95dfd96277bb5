"""The lean decode step equals the model's own forward: logits, caches and whole generations."""

from __future__ import annotations

import copy

import pytest
import torch
from PIL import Image
from transformers.cache_utils import DynamicCache

from zeroplay.engines import lean_decode
from zeroplay.engines.hf import HFEngine, cache_argument_of, pad_id_of, prepare_request
from zeroplay.engines.kv_reserve import reserve_cache
from zeroplay.engines.lean_decode import LeanDecoder
from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
from zeroplay.models.batching import collate_prompts
from zeroplay.models.loader import LoraSettings, ModelSettings
from zeroplay.models.positions import decode_positions, prompt_positions, step_positions
from zeroplay.rl.policies import Policies


def _requests() -> list[ChatRequest]:
    """Prompts of different lengths (left padding), with one image, two images and none."""
    return [
        ChatRequest(
            [user_message("What colour is it?", 1)], [Image.new("RGB", (84, 56), (200, 30, 30))]
        ),
        ChatRequest(
            [user_message("Compare the two pictures, please, in one long sentence.", 2)],
            [Image.new("RGB", (56, 56), "green"), Image.new("RGB", (70, 84), "yellow")],
        ),
        ChatRequest([user_message("Say a word.")], []),
    ]


def _prefill(model, processor, fork: list[int], extra: int):
    """(reserved cache forked to `fork`, next positions, mask with room, prompt width, logits)."""
    prompts = [prepare_request(processor, r) for r in _requests()]
    batch = collate_prompts(prompts, pad_id_of(processor))
    positions, start = prompt_positions(model, batch)
    out = model(**batch, position_ids=positions, use_cache=True, logits_to_keep=1)
    rows = torch.tensor(fork)
    cache = reserve_cache(getattr(out, cache_argument_of(model)), extra, rows)
    mask = batch["attention_mask"].index_select(0, rows)
    mask = torch.cat([mask, mask.new_ones(len(fork), extra)], dim=1)
    return cache, start.index_select(0, rows), mask, batch["attention_mask"].shape[1]


def _compare_steps(
    model, processor, steps: int = 4, atol: float = 1e-5, pack: bool = False
) -> None:
    """Decode `steps` tokens both ways from equal caches; logits and caches agree each step
    (`pack`: the decoder is built for a decode long enough to pack its GEMMs)."""
    fork = [0, 0, 1, 2, 2, 1]
    model.eval()
    with torch.inference_mode():
        cache_a, start, mask, width = _prefill(model, processor, fork, steps)
        cache_b = copy.deepcopy(cache_a)
        lean = LeanDecoder.of(model, lean_decode.PACK_MIN_STEPS if pack else 0)
        assert lean is not None and lean.accepts(cache_b)
        lean.begin(decode_positions(model, start, steps))
        tokens = torch.tensor([5, 9, 11, 5, 7, 13])
        for step in range(steps):
            positions = step_positions(model, start, step)
            step_mask = mask[:, : width + step + 1]
            ref = model(
                input_ids=tokens[:, None],
                attention_mask=step_mask,
                position_ids=positions,
                use_cache=True,
                **{cache_argument_of(model): cache_a},
            ).logits[:, -1]
            got = lean.step(tokens, cache_b, step, step_mask)
            assert got.shape == ref.shape
            torch.testing.assert_close(got, ref, atol=atol, rtol=0)
            for la, lb in zip(cache_a.layers, cache_b.layers, strict=True):
                torch.testing.assert_close(lb.keys, la.keys, atol=atol, rtol=0)
                torch.testing.assert_close(lb.values, la.values, atol=atol, rtol=0)
            tokens = ref.argmax(-1)


@pytest.mark.parametrize("pack", [True, False])
@pytest.mark.parametrize("fuse", [True, False])
def test_lean_step_equals_model_forward(tiny_policy, fuse, pack, monkeypatch):
    """With fused q/k/v and gate/up copies (small CPU models) and with one GEMM per layer; with
    MKL's packed GEMMs and with plain ones."""
    _, model, processor = tiny_policy
    if not fuse:
        monkeypatch.setattr(lean_decode, "FUSE_LIMIT_BYTES", 0)
    calls = []
    real = lean_decode.projections
    monkeypatch.setattr(
        lean_decode, "projections", lambda mods, f, p: calls.append((f, p)) or real(mods, f, p)
    )
    _compare_steps(model, processor, pack=pack)
    assert calls and all(c == (fuse, pack) for c in calls)


@pytest.mark.skipif(not lean_decode.PACKING, reason="this torch has no MKL packed GEMM")
def test_packed_gemm_pads_fewer_rows_and_packs_again_below_half():
    gen = torch.Generator().manual_seed(0)
    weight, bias = torch.randn(24, 16, generator=gen), torch.randn(24, generator=gen)
    gemm = lean_decode.PackedGemm(weight, bias)
    # rows -> rows packed for after the call: 5 pads up to 6; 3 is half of 6: packed again
    for rows, packed_for in [(6, 6), (5, 6), (4, 6), (3, 3), (4, 4), (2, 2), (9, 9)]:
        x = torch.randn(rows, 16, generator=gen)
        torch.testing.assert_close(gemm(x), x @ weight.t() + bias, atol=1e-5, rtol=0)
        assert gemm.rows == packed_for


@pytest.mark.parametrize("pack", [True, False])
@pytest.mark.parametrize("name", ["tiny", "tiny-llava"])
def test_lean_step_follows_lora_adapters(name, pack, monkeypatch):
    """Each adapter, and the base weights with adapters disabled, as PEFT's forward computes them
    (in the decoder's own LoRA form: calling the PEFT modules instead is not allowed here)."""

    def no_module_calls(module):
        raise AssertionError(f"{type(module).__name__} fell back to a module call")

    monkeypatch.setattr(lean_decode, "_module_linear", no_module_calls)
    policies = Policies.load(
        ModelSettings(name=name, device="cpu"),
        ["first", "second"],
        mode="lora",
        lora=LoraSettings(r=4, alpha=8),
    )
    model = policies.model("first")
    with torch.no_grad():  # non-trivial adapters (lora_B starts at zero), different per adapter
        gen = torch.Generator().manual_seed(3)
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.2)
    processor = policies.processor
    for policy in ("first", "second"):
        with policies.activate(policy):
            _compare_steps(model, processor, pack=pack)
    with model.disable_adapter():
        _compare_steps(model, processor, pack=pack)


def test_half_precision_uses_attention_kernel(tiny_qwen):
    model, processor = tiny_qwen
    half = copy.deepcopy(model).to(torch.bfloat16)
    _compare_steps(half, processor, steps=2, atol=0.05)


@pytest.mark.parametrize(
    "change",
    [
        lambda c: setattr(c, "hidden_act", "gelu"),
        lambda c: setattr(c, "layer_types", ["sliding_attention"] * c.num_hidden_layers),
        lambda c: setattr(c, "model_type", "gemma"),
    ],
)
def test_unknown_architectures_fall_back(tiny_qwen, change):
    model, _ = tiny_qwen
    other = copy.deepcopy(model)
    change(other.model.language_model.config)
    assert LeanDecoder.of(model) is not None
    assert LeanDecoder.of(other) is None


def test_only_reserved_caches_are_accepted():
    cache = DynamicCache()
    cache.update(torch.zeros(1, 2, 3, 4), torch.zeros(1, 2, 3, 4), layer_idx=0)
    assert not LeanDecoder.accepts(cache)
    assert LeanDecoder.accepts(reserve_cache(cache, 2))


@pytest.mark.parametrize("pack_min_steps", [1, 10**6])
def test_engine_generations_match_model_forward(tiny_policy, pack_min_steps, monkeypatch):
    """Seeded sampling through the engine: same tokens, logprobs within 1e-5, lean (packed
    GEMMs or plain) or not."""
    _, model, processor = tiny_policy
    monkeypatch.setattr(lean_decode, "PACK_MIN_STEPS", pack_min_steps)
    requests = [
        ChatRequest(r.messages, r.images, SamplingParams(n=3, max_new_tokens=12, seed=11 + i))
        for i, r in enumerate(_requests())
    ]
    results = []
    for lean in (True, False):
        engine = HFEngine(model, processor, lean_decode=lean)
        results.append(engine.generate(requests))
    for group_a, group_b in zip(*results, strict=True):
        for a, b in zip(group_a, group_b, strict=True):
            assert a.token_ids.tolist() == b.token_ids.tolist()
            torch.testing.assert_close(a.logprobs, b.logprobs, atol=1e-5, rtol=0)
            assert a.finish_reason == b.finish_reason
