"""Shared-prefix training passes: a group's prompt is computed once for all its completions.

The G samples of a GRPO group repeat one prompt. Instead of G rows `[prompt, c_j]`, a group is
packed into one row `[prompt, c_1, ..., c_G]` (right-padded) with

- an attention mask where every prompt token attends causally to the prompt only, and every
  completion token to the whole prompt and causally to its own completion (never to another
  completion), padding attending to itself only (no empty softmax rows);
- position ids where each completion continues from the prompt: token t of any completion sits
  at `start + t`, `start` being the prompt's next position (`zeroplay.models.positions`; for
  Qwen2.5-VL's M-RoPE that is max(prompt positions) + 1 on all three axes);
- the prompt's image tensors once, so the vision tower runs once per group.

Each completion token then sees exactly the keys, values and positions it sees in its own
unshared row, so the logits are the same up to float rounding, and the backward pass sums the
prompt's gradient contributions of all G completions through one copy of the prompt. The first
completion token of every sample is predicted by the same hidden state (the prompt's last one).

Supported: the architectures tested against the unshared path (Qwen2.5-VL, LLaVA) with SDPA or
eager attention and no sliding-window layers; anything else falls back to unshared rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from zeroplay.models.batching import concat_multimodal, pad_sequences
from zeroplay.models.positions import prompt_positions
from zeroplay.models.unwrap import unwrap_peft
from zeroplay.rl.samples import Sample

SUPPORTED_MODEL_TYPES = ("qwen2_5_vl", "llava")
SUPPORTED_ATTENTION = ("sdpa", "eager")


@dataclass
class PackedGroups:
    """One packed row per distinct prompt; where each sample's completion tokens are predicted."""

    input_ids: torch.Tensor  # (m, W) right-padded
    extra: dict[str, torch.Tensor]  # sequence-aligned tensors (padded) and multimodal tensors
    segments: torch.Tensor  # (m, W): -1 padding, 0 prompt, j >= 1 the j-th completion
    steps: torch.Tensor  # (m, W): index of each completion token within its completion
    rows: torch.Tensor  # (N,) packed row of each completion token's predicting position
    cols: torch.Tensor  # (N,) column of that position

    @property
    def prompt_mask(self) -> torch.Tensor:
        return (self.segments == 0).long()

    def model_inputs(self, model: Any) -> dict[str, torch.Tensor]:
        """Backbone keyword arguments: ids, image tensors, position ids and the 4-D mask."""
        positions = packed_positions(model, self)
        allowed = shared_prefix_mask(self.segments)
        mask: torch.Tensor = allowed
        if attention_kind(model) == "eager":
            # eager attention adds the mask to the scores: 0 where allowed, a huge negative not.
            dtype = next(model.parameters()).dtype
            mask = torch.zeros(allowed.shape, dtype=dtype, device=allowed.device)
            mask = mask.masked_fill(~allowed, torch.finfo(dtype).min)
        return {
            "input_ids": self.input_ids,
            "attention_mask": mask,
            "position_ids": positions,
            **self.extra,
        }


def attention_kind(model: Any) -> str | None:
    """The language model's attention implementation name (`sdpa`, `eager`, ...)."""
    config = getattr(model, "config", None)
    text = getattr(config, "text_config", None) or config
    return getattr(text, "_attn_implementation", None)


def supports_shared_prefix(model: Any) -> bool:
    """True when shared-prefix passes are known to equal the unshared ones for `model`."""
    inner = unwrap_peft(model)
    config = getattr(inner, "config", None)
    if getattr(config, "model_type", None) not in SUPPORTED_MODEL_TYPES:
        return False
    if attention_kind(inner) not in SUPPORTED_ATTENTION:
        return False
    text = getattr(config, "text_config", None) or config
    layer_types = getattr(text, "layer_types", None) or ()
    return not getattr(text, "use_sliding_window", False) and all(
        t == "full_attention" for t in layer_types
    )


def shared_prefix_mask(segments: torch.Tensor) -> torch.Tensor:
    """(m, 1, W, W) boolean mask, True where a query may attend a key (see module docstring)."""
    width = segments.shape[1]
    idx = torch.arange(width, device=segments.device)
    causal = idx[:, None] >= idx[None, :]
    q_seg = segments[:, :, None]
    k_seg = segments[:, None, :]
    allowed = causal & (q_seg >= 0) & (k_seg >= 0) & ((k_seg == 0) | (k_seg == q_seg))
    allowed = allowed | torch.eye(width, dtype=torch.bool, device=segments.device)
    return allowed[:, None]


def packed_positions(model: Any, packed: PackedGroups) -> torch.Tensor:
    """Position ids of a packed batch: the prompt's own, then `start + t` for completion token t."""
    batch = {"input_ids": packed.input_ids, "attention_mask": packed.prompt_mask, **packed.extra}
    positions, start = prompt_positions(model, batch)
    completion = start[:, None] + packed.steps
    in_completion = packed.segments > 0
    if positions.dim() == 3:
        return torch.where(in_completion[None], completion[None], positions)
    return torch.where(in_completion, completion, positions)


def pack_groups(
    samples: Sequence[Sample], pad_id: int, device: torch.device | str
) -> PackedGroups | None:
    """Pack `samples` by prompt (see module docstring); None when no prompt repeats."""
    order: dict[str, int] = {}
    members: list[list[int]] = []
    for i, s in enumerate(samples):
        key = s.prompt.fingerprint
        if key not in order:
            order[key] = len(members)
            members.append([])
        members[order[key]].append(i)
    if len(members) == len(samples):
        return None
    prompts = [samples[m[0]].prompt for m in members]
    row_ids, row_segments, row_steps = [], [], []
    where: dict[int, tuple[int, int]] = {}  # sample -> (row, column of its first token)
    for k, group in enumerate(members):
        prompt = prompts[k]
        ids = [prompt.input_ids]
        segs = [torch.zeros(prompt.length, dtype=torch.long)]
        steps = [torch.zeros(prompt.length, dtype=torch.long)]
        offset = prompt.length
        for j, i in enumerate(group, start=1):
            n = samples[i].num_completion_tokens
            ids.append(samples[i].completion_ids.to(prompt.input_ids.dtype))
            segs.append(torch.full((n,), j, dtype=torch.long))
            steps.append(torch.arange(n, dtype=torch.long))
            where[i] = (k, offset)
            offset += n
        row_ids.append(torch.cat(ids))
        row_segments.append(torch.cat(segs))
        row_steps.append(torch.cat(steps))
    input_ids, _ = pad_sequences(row_ids, pad_id, side="right")
    segments, _ = pad_sequences([s + 1 for s in row_segments], 0, side="right")
    steps, _ = pad_sequences(row_steps, 0, side="right")
    extra: dict[str, torch.Tensor] = {}
    seq_keys: list[str] = []
    for p in prompts:
        seq_keys.extend(k for k in p.sequence_tensors if k not in seq_keys)
    for key in seq_keys:
        rows = []
        for p, ids in zip(prompts, row_ids, strict=True):
            t = p.sequence_tensors.get(key, torch.zeros(p.length, dtype=torch.long))
            rows.append(torch.cat([t, torch.zeros(ids.shape[0] - p.length, dtype=t.dtype)]))
        extra[key], _ = pad_sequences(rows, 0, side="right")
    extra.update(concat_multimodal(prompts))
    rows_flat, cols_flat = [], []
    for i, s in enumerate(samples):
        k, first = where[i]
        n = s.num_completion_tokens
        prompt_last = prompts[k].length - 1
        # token 0 is predicted by the prompt's last position, token t by the completion's t - 1
        cols = torch.cat([torch.tensor([prompt_last]), torch.arange(first, first + n - 1)])
        rows_flat.append(torch.full((n,), k, dtype=torch.long))
        cols_flat.append(cols[:n])
    return PackedGroups(
        input_ids=input_ids.to(device),
        extra={k: v.to(device) for k, v in extra.items()},
        segments=(segments - 1).to(device),
        steps=steps.to(device),
        rows=torch.cat(rows_flat).to(device),
        cols=torch.cat(cols_flat).to(device),
    )
