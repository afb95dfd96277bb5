"""One decode step of a Llama/Qwen2-style text decoder with few tensor ops.

A decode step feeds one token per row through the text model. transformers' forward spends
about half of that step outside the matrix multiplies on a CPU: a 4-D mask built per step, the
keys and values repeated for grouped-query attention, norms and rotary embeddings in many small
ops, module calls. `LeanDecoder` computes the same step with fewer and cheaper ops: the residual
adds fuse into the linear layers' GEMMs, the query heads that share a key head become that
head's query rows in one SDPA call (no repeated keys), the rotary tables are computed once per
decode, and the keys and values go straight into the engine's reserved cache buffers.

On a CPU in float32 the linear layers use MKL's packed GEMM (`PackedGemm`): the weight is
reordered once for the decode's row count, and a 32-row step's GEMMs then run at 250-270
GFLOP/s where a plain `mm` runs at 110-190 on the benchmark model's shapes (measured, 2-core
box). The packing is redone when the row count falls below half of the packed one (finished
rows leave the decode); in between, the rows are padded up to the packed count.

The maths is the model's own (same weights, norms computed in float32 as transformers does, the
model's rotary module for cos/sin, LoRA adapters applied as PEFT does); only the float summation
order differs (logits agree to about 1e-6 in float32, tested). `LeanDecoder.of` returns None for
any model it does not recognise, and the engine then calls the model's forward as before.
Supported: the text models of Qwen2.5-VL and Llama (LLaVA's usual language model), with full
attention on every layer and SiLU MLPs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from zeroplay.engines.kv_reserve import ReservedLayer
from zeroplay.models.unwrap import unwrap_peft

# the text models tested against their forward (tests/engines/test_lean_decode.py); others that
# look alike (Qwen2-VL, Qwen2) fall back until they are tested too
SUPPORTED_TEXT_MODELS = {"qwen2_5_vl_text", "llama"}
SUPPORTED_ATTENTION = {"sdpa", "eager"}

# (x, residual or None) -> x @ W^T (+ bias) (+ residual), all (rows, features)
Linear = Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor]


def _text_model(model: Any) -> tuple[Any, Any] | None:
    """(text decoder, lm_head) of an image-text or causal LM, through a PEFT wrapper."""
    top = unwrap_peft(model)
    head = getattr(top, "lm_head", None)
    inner = getattr(top, "model", None)
    text = getattr(inner, "language_model", inner)
    if head is None or text is None or not hasattr(text, "layers"):
        return None
    return text, head


def _packing_available() -> bool:
    try:
        return bool(torch._C.has_mkl) and callable(torch.ops.mkl._mkl_linear)
    except (AttributeError, RuntimeError):
        return False


PACKING = _packing_available()


class PackedGemm:
    """`x @ W^T + bias` with W in MKL's packed layout for one row count (CPU, float32).

    The packed copy holds for calls of exactly that many rows, so fewer rows are padded up to
    it; when they fall to half of it or below (or rise above it), W is packed again for the new
    count: at most log2(rows) packings per decode, and never more than twice the rows' work.
    """

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None):
        self.weight = weight.detach()
        self.bias = None if bias is None else bias.detach()
        self.rows = 0
        self.packed = torch.empty(0)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.shape[0]
        if rows > self.rows or 2 * rows <= self.rows:
            self.packed = torch.ops.mkl._mkl_reorder_linear_weight(self.weight, rows)
            self.rows = rows
        if rows < self.rows:
            x = torch.cat([x, x.new_zeros(self.rows - rows, x.shape[1])])
        y = torch.ops.mkl._mkl_linear(x, self.packed, self.weight, self.bias, self.rows)
        return y[:rows] if rows < self.rows else y


def _packable(weight: torch.Tensor, pack: bool) -> bool:
    return pack and PACKING and weight.device.type == "cpu" and weight.dtype == torch.float32


def _gemm(weight: torch.Tensor, bias: torch.Tensor | None, pack: bool) -> Linear:
    """The linear layer `x @ W^T + bias (+ residual)`: packed where it can be, else `addmm`."""
    if _packable(weight, pack):
        packed = PackedGemm(weight, bias)

        def apply_packed(x: torch.Tensor, residual: torch.Tensor | None) -> torch.Tensor:
            y = packed(x)
            return y if residual is None else y.add_(residual)

        return apply_packed
    if weight.device.type == "cpu":
        # MKL runs `W @ x^T` and a transposed copy of the small output 1.08-1.39x faster than
        # `x @ W^T` at decode shapes (32 rows, the benchmark model's layers; measured)
        column_bias = None if bias is None else bias[:, None]

        def apply_cpu(x: torch.Tensor, residual: torch.Tensor | None) -> torch.Tensor:
            y = torch.mm(weight, x.t()) if bias is None else torch.addmm(column_bias, weight, x.t())
            y = y.t().contiguous()
            return y if residual is None else y.add_(residual)

        return apply_cpu
    weight_t = weight.t()

    def apply(x: torch.Tensor, residual: torch.Tensor | None) -> torch.Tensor:
        if residual is None:
            return torch.mm(x, weight_t) if bias is None else torch.addmm(bias, x, weight_t)
        if bias is not None:
            residual = residual + bias
        return torch.addmm(residual, x, weight_t)

    return apply


def _lora_linear(module: Any, pack: bool) -> Linear | None:
    """PEFT's LoRA `Linear` as `base + scaling * (x @ A^T) @ B^T` per active adapter (what its
    forward computes in eval mode); None for anything else it can do (DoRA and other variants,
    merged weights with adapters disabled, a non-plain base layer, mixed dtypes)."""
    base = getattr(module, "base_layer", None)
    if type(base) is not nn.Linear:
        return None
    if module.disable_adapters or module.merged:
        # disabled and unmerged: the base layer alone; merged: the base layer holds the adapter
        # (disabled while merged would make PEFT unmerge in place: leave that to its forward)
        if module.disable_adapters and module.merged:
            return None
        return _gemm(base.weight, base.bias, pack)
    variants = getattr(module, "lora_variant", {})
    extra: list[tuple[torch.Tensor, torch.Tensor, float]] = []
    for name in module.active_adapters:
        if name not in module.lora_A:
            continue
        a, b = module.lora_A[name], module.lora_B[name]
        if name in variants or type(a) is not nn.Linear or type(b) is not nn.Linear:
            return None
        if a.bias is not None or b.bias is not None or a.weight.dtype != base.weight.dtype:
            return None
        extra.append((a.weight.t(), b.weight.t(), float(module.scaling[name])))
    base_apply = _gemm(base.weight, base.bias, pack)

    def apply(x: torch.Tensor, residual: torch.Tensor | None) -> torch.Tensor:
        y = base_apply(x, residual)
        for a_t, b_t, scaling in extra:
            y = y.add_(torch.mm(torch.mm(x, a_t), b_t), alpha=scaling)
        return y

    return apply


def _module_linear(module: nn.Module) -> Linear:
    """Any other module: called as it is (correct, not lean)."""

    def apply(x: torch.Tensor, residual: torch.Tensor | None) -> torch.Tensor:
        y = module(x)
        return y if residual is None else residual + y

    return apply


def linear(module: nn.Module, pack: bool) -> Linear:
    """One linear layer of the decoder (`pack`: MKL's packed GEMM where it applies)."""
    if type(module) is nn.Linear:
        return _gemm(module.weight, module.bias, pack)
    return _lora_linear(module, pack) or _module_linear(module)


def _rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """RMSNorm over the feature axis (last), in float32 as transformers computes it."""
    h = x.float()
    h = torch.mul(h, torch.rsqrt(h.square().mean(-1, keepdim=True).add_(eps)))
    return h.to(x.dtype).mul_(weight) if x.dtype == weight.dtype else weight * h.to(x.dtype)


def _rope(x: torch.Tensor, cos: torch.Tensor, sin_signed: torch.Tensor) -> torch.Tensor:
    """Rotary embedding of (rows, heads, D): x*cos + rotate_half(x)*sin, where rotate_half(x) =
    cat(-x2, x1) equals roll(x, D/2) times the sign carried by `sin_signed` = cat(-sin1, sin2)."""
    return torch.addcmul(x * cos, x.roll(x.shape[-1] // 2, dims=-1), sin_signed)


def _norm_of(norm: nn.Module) -> tuple[torch.Tensor, float]:
    """(weight, epsilon) of an RMSNorm module."""
    return norm.weight, float(norm.variance_epsilon)


# Fused copies of q/k/v and gate/up weights are made on a CPU while they stay under this size
# (one GEMM instead of three or two: 13% less GEMM time on the benchmark's small model at 32
# rows, for a 3 ms copy per generation chunk). Larger models' GEMMs are efficient on their own,
# and on an accelerator the copies would cost memory that the KV cache needs.
FUSE_LIMIT_BYTES = 512 * 2**20
# Packing is redone per generation chunk (the weights change between steps): on the benchmark's
# small model at 32 rows it paid for itself over a 12-step decode (0.274 s against 0.290 s
# unpacked) and not over a 6-step one (0.189 against 0.191), so shorter decodes keep the plain
# GEMMs. MKL's packed copies take 2.5-6 times the weights' memory (measured), so only text
# models with up to 128 MiB of linear weights pack theirs.
PACK_MIN_STEPS = 8
PACK_LIMIT_BYTES = 128 * 2**20

Projections = Callable[[torch.Tensor], list[torch.Tensor]]


def _fusable(modules: list[nn.Module]) -> bool:
    first = getattr(modules[0], "weight", None)
    return (
        all(type(m) is nn.Linear for m in modules)
        and first is not None
        and first.device.type == "cpu"
        and all(
            m.weight.dtype == first.dtype and m.weight.shape[1] == first.shape[1] for m in modules
        )
    )


def projections(modules: list[nn.Module], fuse: bool, pack: bool) -> Projections:
    """x -> [x @ W_i^T] for linear layers reading the same input: one GEMM on their
    concatenated weights when `fuse` (plain CPU `nn.Linear`s, see FUSE_LIMIT_BYTES), else one
    each."""
    if not fuse:
        plans = [linear(m, pack) for m in modules]
        return lambda x: [plan(x, None) for plan in plans]
    sizes = [m.weight.shape[0] for m in modules]
    weight = torch.cat([m.weight for m in modules])
    biases = [m.bias for m in modules]
    bias = None
    if any(b is not None for b in biases):
        bias = torch.cat(
            [
                b if b is not None else m.weight.new_zeros(n)
                for b, m, n in zip(biases, modules, sizes, strict=True)
            ]
        )
    plan = _gemm(weight, bias, pack)
    return lambda x: list(plan(x, None).split(sizes, dim=-1))


def _input_groups(layer: Any) -> tuple[list[nn.Module], list[nn.Module]]:
    """(q, k, v) and (gate, up) of a decoder layer: the linear layers that share an input."""
    attn, mlp = layer.self_attn, layer.mlp
    return [attn.q_proj, attn.k_proj, attn.v_proj], [mlp.gate_proj, mlp.up_proj]


def _weight_bytes(modules: list[nn.Module]) -> int:
    return sum(
        m.weight.numel() * m.weight.element_size()
        for m in modules
        if getattr(m, "weight", None) is not None
    )


def _fused_bytes(layer: Any) -> int:
    """Bytes of the fused copies a decoder layer would make (its fusable input groups only)."""
    return sum(_weight_bytes(group) for group in _input_groups(layer) if _fusable(group))


def _packed_weight_bytes(layer: Any) -> int:
    """Bytes of a decoder layer's seven linear weights, which packed copies scale with."""
    qkv, gate_up = _input_groups(layer)
    return _weight_bytes(qkv + gate_up + [layer.self_attn.o_proj, layer.mlp.down_proj])


class _Layer:
    def __init__(self, layer: Any, fuse: bool, pack: bool):
        attn, mlp = layer.self_attn, layer.mlp
        qkv, gate_up = _input_groups(layer)
        self.qkv = projections(qkv, fuse and _fusable(qkv), pack)
        self.gate_up = projections(gate_up, fuse and _fusable(gate_up), pack)
        self.o, self.down = linear(attn.o_proj, pack), linear(mlp.down_proj, pack)
        self.norm1 = _norm_of(layer.input_layernorm)
        self.norm2 = _norm_of(layer.post_attention_layernorm)
        self.head_dim = attn.head_dim
        self.scaling = attn.scaling


class LeanDecoder:
    """Decode steps of one model's text decoder in its current adapter state (see module doc).

    Build one per chunk of generation (after the policy switch): LoRA plans read which adapters
    are active when built.
    """

    def __init__(self, text: Any, head: nn.Module, steps: int = 0):
        self.embed = text.embed_tokens.weight
        self.rotary = text.rotary_emb
        self._cos = self._sin_signed = torch.empty(0)
        self.norm = _norm_of(text.norm)
        fuse = sum(_fused_bytes(layer) for layer in text.layers) <= FUSE_LIMIT_BYTES
        pack = (
            steps >= PACK_MIN_STEPS
            and sum(_packed_weight_bytes(layer) for layer in text.layers) <= PACK_LIMIT_BYTES
        )
        self.layers = [_Layer(layer, fuse, pack) for layer in text.layers]
        self.head = linear(head, pack)

    @classmethod
    def of(cls, model: Any, steps: int = 0) -> LeanDecoder | None:
        """A decoder for `model` for a decode of up to `steps` steps, or None when its text
        model is not one this file implements."""
        found = _text_model(model)
        if found is None:
            return None
        text, head = found
        config = getattr(text, "config", None)
        if (
            getattr(config, "model_type", None) not in SUPPORTED_TEXT_MODELS
            or getattr(config, "hidden_act", None) != "silu"
            or getattr(config, "_attn_implementation", None) not in SUPPORTED_ATTENTION
            or (getattr(config, "pretraining_tp", 1) or 1) > 1
            or getattr(config, "use_sliding_window", False)
            or any(t != "full_attention" for t in getattr(config, "layer_types", None) or [])
            or type(text.embed_tokens) is not nn.Embedding
            # rotary tables are computed once per decode: no sequence-length-dependent scaling
            or getattr(text.rotary_emb, "rope_type", "default") in ("dynamic", "longrope")
        ):
            return None
        norms = [text.norm] + [
            n
            for layer in text.layers
            for n in (layer.input_layernorm, layer.post_attention_layernorm)
        ]
        if not all(
            type(n).__name__.endswith("RMSNorm") and hasattr(n, "variance_epsilon") for n in norms
        ):
            return None
        from torch.distributed.tensor import DTensor

        if any(isinstance(p, DTensor) for p in text.parameters()):
            return None  # sharded weights (FSDP2): only the module's forward gathers them
        return cls(text, head, steps)

    @staticmethod
    def accepts(cache: Any) -> bool:
        """Whether every layer of `cache` is a reserved buffer this decoder can write to."""
        layers = getattr(cache, "layers", None)
        return bool(layers) and all(type(layer) is ReservedLayer for layer in layers)

    def begin(self, position_ids: torch.Tensor) -> None:
        """Rotary tables for a whole decode: `position_ids` (rows, T), or (3, rows, T) for M-RoPE,
        are the positions of steps 0..T-1 (one rotary call per decode instead of one per step)."""
        cos, sin = self.rotary(self.embed[:1], position_ids)  # (rows, T, D)
        half = cos.shape[-1] // 2
        sin = torch.cat((-sin[..., :half], sin[..., half:]), dim=-1)
        self._cos = cos.transpose(0, 1)[:, :, None].contiguous()  # (T, rows, 1, D)
        self._sin_signed = sin.transpose(0, 1)[:, :, None].contiguous()

    def keep(self, rows: torch.Tensor) -> None:
        """Go on with the rows at `rows` only (the engine dropped finished rows)."""
        self._cos = self._cos.index_select(1, rows)
        self._sin_signed = self._sin_signed.index_select(1, rows)

    def step(
        self,
        tokens: torch.Tensor,
        cache: Any,
        step: int,
        attention_mask: torch.Tensor,
    ) -> torch.Tensor:
        """Logits (rows, vocab) of decode step `step` (counted as in `begin`): `tokens` (rows,),
        `attention_mask` (rows, cache length + 1) of 1/0, keys and values appended to `cache`
        (which `accepts` must allow)."""
        rows = tokens.shape[0]
        h = self.embed.index_select(0, tokens)  # (rows, hidden)
        cos, sin_signed = self._cos[step], self._sin_signed[step]  # (rows, 1, D)
        # additive mask over the keys (rows, 1, 1, keys): 0 where visible, -inf on padding
        bias = torch.zeros(attention_mask.shape, dtype=h.dtype, device=h.device)
        bias = bias.masked_fill_(attention_mask == 0, float("-inf"))[:, None, None, :]
        for layer, layer_cache in zip(self.layers, cache.layers, strict=True):
            d = layer.head_dim
            x = _rms_norm(h, *layer.norm1)
            q, k, v = layer.qkv(x)
            q = _rope(q.view(rows, -1, d), cos, sin_signed)
            k = _rope(k.view(rows, -1, d), cos, sin_signed)
            kv_heads = k.shape[1]
            keys, values = layer_cache.update(k[:, :, None], v.view(rows, kv_heads, 1, d))
            # the query heads that share a key head become that head's query rows
            attn = F.scaled_dot_product_attention(
                q.view(rows, kv_heads, -1, d), keys, values, attn_mask=bias, scale=layer.scaling
            )  # (rows, kv, group, D)
            h = layer.o(attn.reshape(rows, -1), h)
            x = _rms_norm(h, *layer.norm2)
            gate, up = layer.gate_up(x)
            h = layer.down(F.silu(gate) * up, h)
        return self.head(_rms_norm(h, *self.norm), None)
