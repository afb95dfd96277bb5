"""The reserved KV cache: the same keys and values as transformers' growing cache, written in place."""

from __future__ import annotations

import torch
from transformers.cache_utils import DynamicCache, DynamicLayer

import zeroplay.engines.hf as hf_engine
from zeroplay.engines.kv_reserve import ReservedLayer, reserve_cache


def _kv(batch: int, length: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 2, length, 4, generator=g), torch.randn(
        batch, 2, length, 3, generator=g
    )


def test_updates_equal_concatenation_and_stay_in_one_buffer():
    keys, values = _kv(3, 5, 0)
    layer = ReservedLayer(keys, values, capacity=8)
    buffer = layer._keys.data_ptr()
    parts_k, parts_v = [keys], [values]
    for step in range(3):
        k, v = _kv(3, 1, step + 1)
        out_k, out_v = layer.update(k, v)
        parts_k.append(k)
        parts_v.append(v)
        assert torch.equal(out_k, torch.cat(parts_k, dim=2))
        assert torch.equal(out_v, torch.cat(parts_v, dim=2))
    assert layer._keys.data_ptr() == buffer  # no reallocation within the reserved room
    assert layer.get_seq_length() == 8
    assert layer.get_mask_sizes(1) == (9, 0)


def test_a_full_buffer_grows_and_keeps_its_contents():
    keys, values = _kv(2, 3, 0)
    layer = ReservedLayer(keys, values, capacity=4)
    k, v = _kv(2, 2, 1)  # 3 + 2 > 4
    out_k, out_v = layer.update(k, v)
    assert layer.capacity >= 5
    assert torch.equal(out_k, torch.cat([keys, k], dim=2))
    assert torch.equal(out_v, torch.cat([values, v], dim=2))


def test_row_selection_and_crop():
    keys, values = _kv(3, 4, 0)
    layer = ReservedLayer(keys, values, capacity=6)
    layer.batch_select_indices(torch.tensor([2, 0, 0]))
    assert torch.equal(layer.keys, keys[[2, 0, 0]])
    k, v = _kv(3, 1, 1)
    layer.update(k, v)
    assert torch.equal(layer.values, torch.cat([values[[2, 0, 0]], v], dim=2))
    layer.crop(-2)
    assert torch.equal(layer.keys, keys[[2, 0, 0], :, :3])


def test_reserve_cache_forks_rows_like_batch_select_indices():
    cache = DynamicCache()
    for i in range(2):
        cache.update(*_kv(2, 5, i), layer_idx=i)
    expected = [(layer.keys[[0, 0, 1]], layer.values[[0, 0, 1]]) for layer in cache.layers]
    reserve_cache(cache, 4, torch.tensor([0, 0, 1]))
    for layer, (k, v) in zip(cache.layers, expected, strict=True):
        assert isinstance(layer, ReservedLayer) and layer.capacity == 9
        assert torch.equal(layer.keys, k) and torch.equal(layer.values, v)


def test_other_layer_kinds_are_left_alone():
    class Other(DynamicLayer):
        """A layer kind reserve_cache does not know (a subclass, not DynamicLayer itself)."""

    cache = DynamicCache()
    cache.update(*_kv(2, 3, 0), layer_idx=0)
    other = Other()
    other.update(*_kv(2, 3, 1))
    cache.layers.append(other)
    reserve_cache(cache, 4, torch.tensor([1, 1]))
    assert isinstance(cache.layers[0], ReservedLayer)
    assert cache.layers[1] is other and other.keys.shape[0] == 2


def test_generation_is_unchanged_by_the_reserved_cache(tiny_policy, monkeypatch):
    """Seeded sampling gives the same tokens and logprobs with transformers' growing cache."""
    from PIL import Image

    from zeroplay.engines.request import ChatRequest, SamplingParams, user_message

    _, model, processor = tiny_policy
    engine = hf_engine.HFEngine(model, processor, seed=0)
    sampling = [SamplingParams(n=3, max_new_tokens=9, seed=s) for s in range(2)]
    requests = [
        ChatRequest([user_message("two blue spheres on a table")], sampling=sampling[0]),
        ChatRequest(
            [user_message("what is this?", 1)], [Image.new("RGB", (40, 30), "red")], sampling[1]
        ),
    ]
    reserved = engine.generate(requests)

    def growing(cache, extra, rows=None):
        if rows is not None:
            cache.batch_select_indices(rows)
        return cache

    monkeypatch.setattr(hf_engine, "reserve_cache", growing)
    plain = engine.generate(requests)
    for a, b in zip([c for g in reserved for c in g], [c for g in plain for c in g], strict=True):
        assert a.token_ids.tolist() == b.token_ids.tolist()
        assert torch.allclose(a.policy_logprobs, b.policy_logprobs, atol=1e-6)
