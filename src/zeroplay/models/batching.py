"""Model inputs of one prompt, and how several are padded into a batch for any VLM family.

A `PreparedPrompt` is what the processor made of one request, exactly once: the token ids and
every tensor the processor returned. Sequence-aligned tensors (ids, masks, token-type ids) are
padded; every other tensor (pixel values, image grids, image sizes, ...) is concatenated along
its first dimension, which is per image or per patch for the supported families (Qwen2.5-VL,
LLaVA), so images stay aligned with their placeholder tokens in batch order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import torch


@dataclass
class PreparedPrompt:
    """Processor output for one prompt: 1-D `input_ids` plus the other tensors, batch dim 1."""

    input_ids: torch.Tensor
    sequence_tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    multimodal: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def length(self) -> int:
        return int(self.input_ids.shape[0])

    @cached_property
    def fingerprint(self) -> str:
        """Digest of every tensor (ids, images, ...): equal prompts share one prefill and pass."""
        digest = hashlib.blake2b(digest_size=16)
        tensors = {"input_ids": self.input_ids, **self.sequence_tensors, **self.multimodal}
        for key in sorted(tensors):
            t = tensors[key].detach().cpu().contiguous()
            digest.update(f"{key}:{t.dtype}:{tuple(t.shape)};".encode())
            digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
        return digest.hexdigest()

    @classmethod
    def from_processor_output(cls, out: dict[str, torch.Tensor]) -> PreparedPrompt:
        """Split a processor's `return_tensors="pt"` output for a single prompt."""
        ids = out["input_ids"]
        if ids.dim() != 2 or ids.shape[0] != 1:
            raise ValueError(f"expected input_ids of shape (1, L), got {tuple(ids.shape)}")
        length = ids.shape[1]
        seq: dict[str, torch.Tensor] = {}
        mm: dict[str, torch.Tensor] = {}
        for key, value in out.items():
            if key in ("input_ids", "attention_mask") or not isinstance(value, torch.Tensor):
                continue
            if value.dim() == 2 and value.shape == (1, length):
                seq[key] = value[0]
            else:
                mm[key] = value
        return cls(input_ids=ids[0], sequence_tensors=seq, multimodal=mm)


def concat_multimodal(prompts: Sequence[PreparedPrompt]) -> dict[str, torch.Tensor]:
    """Concatenate the multimodal tensors of `prompts` in order (prompts without images add none)."""
    keys: list[str] = []
    for p in prompts:
        keys.extend(k for k in p.multimodal if k not in keys)
    merged: dict[str, torch.Tensor] = {}
    for key in keys:
        parts = [p.multimodal[key] for p in prompts if key in p.multimodal]
        merged[key] = torch.cat(parts, dim=0)
    return merged


def pad_sequences(
    rows: Sequence[torch.Tensor], pad_value: int, side: str = "left"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad 1-D tensors to one length; returns (padded, mask of real positions)."""
    width = max(int(r.shape[0]) for r in rows)
    out = torch.full((len(rows), width), pad_value, dtype=rows[0].dtype)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        n = int(r.shape[0])
        if n == 0:
            continue
        if side == "left":
            out[i, width - n :] = r
            mask[i, width - n :] = 1
        else:
            out[i, :n] = r
            mask[i, :n] = 1
    return out, mask


def collate_prompts(
    prompts: Sequence[PreparedPrompt],
    pad_id: int,
    *,
    suffixes: Sequence[torch.Tensor] | None = None,
    device: torch.device | str | None = None,
) -> dict[str, torch.Tensor]:
    """Left-padded batch of `prompt (+ suffix)` rows with every tensor the model needs.

    `suffixes` (e.g. sampled completion ids) are appended to each prompt before padding so a
    teacher-forced forward sees exactly prompt + completion; sequence-aligned extra tensors
    (like `mm_token_type_ids`) are extended with zeros over the suffix (completions are text).
    """
    rows = []
    for i, p in enumerate(prompts):
        ids = p.input_ids
        if suffixes is not None:
            ids = torch.cat([ids, suffixes[i].to(ids.dtype)])
        rows.append(ids)
    input_ids, attention_mask = pad_sequences(rows, pad_id, side="left")
    batch: dict[str, torch.Tensor] = {"input_ids": input_ids, "attention_mask": attention_mask}
    seq_keys: list[str] = []
    for p in prompts:
        seq_keys.extend(k for k in p.sequence_tensors if k not in seq_keys)
    for key in seq_keys:
        extended = []
        for i, p in enumerate(prompts):
            t = p.sequence_tensors.get(key, torch.zeros(p.length, dtype=torch.long))
            extra = 0 if suffixes is None else int(suffixes[i].shape[0])
            extended.append(torch.cat([t, torch.zeros(extra, dtype=t.dtype)]))
        batch[key], _ = pad_sequences(extended, 0, side="left")
    batch.update(concat_multimodal(prompts))
    if device is not None:
        batch = {k: v.to(device) for k, v in batch.items()}
    return batch
