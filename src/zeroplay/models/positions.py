"""Rotary position ids of left-padded prompts, and where their continuations start.

Decoding from a forked KV cache and shared-prefix scoring both place tokens after a prompt at
positions the model cannot infer on its own, so they pass explicit position ids. Two schemes:

- 1-D (LLaVA and other plain decoders): position = number of real tokens before it.
- Qwen2-VL/Qwen2.5-VL M-RoPE: (3, B, L) temporal/height/width ids from the model's own
  `get_rope_index`; image tokens share grid coordinates, so the text after a prompt continues at
  `max(prompt positions) + 1` on all three axes, not at the prompt's token count.
"""

from __future__ import annotations

from typing import Any

import torch

from zeroplay.models.unwrap import unwrap_peft


def _backbone(model: Any) -> Any:
    inner = unwrap_peft(model)
    return getattr(inner, "model", inner)


def uses_mrope(model: Any) -> bool:
    """True when the model takes (3, B, L) multimodal rotary positions (Qwen2-VL family)."""
    return callable(getattr(_backbone(model), "get_rope_index", None))


def prompt_positions(
    model: Any, batch: dict[str, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """(position ids of the batch's tokens, first position after each row (B,)).

    Position ids are (B, L), or (3, B, L) for M-RoPE models; padding gets position 0 (it is
    masked out anyway). The continuation position is (B,) and the same on the three M-RoPE axes.
    """
    mask = batch["attention_mask"]
    text = (mask.long().cumsum(-1) - 1).masked_fill(mask == 0, 0)
    real = mask.long().sum(-1)
    if not uses_mrope(model):
        return text, real
    grids = {k: batch[k] for k in ("image_grid_thw", "video_grid_thw") if k in batch}
    if not grids or "mm_token_type_ids" not in batch:
        # A text-only prompt: the three axes are the plain text positions.
        return text[None].expand(3, -1, -1), real
    positions, deltas = _backbone(model).get_rope_index(
        batch["input_ids"],
        mm_token_type_ids=batch["mm_token_type_ids"],
        attention_mask=mask,
        second_per_grid_ts=batch.get("second_per_grid_ts"),
        **grids,
    )
    # get_rope_index's delta is max(position) + 1 - (number of real tokens).
    return positions, real + deltas.reshape(-1).to(real.device)


def step_positions(model: Any, start: torch.Tensor, offset: int) -> torch.Tensor:
    """Position ids (B, 1), or (3, B, 1) for M-RoPE, of the token `offset` places after `start`."""
    pos = (start + offset)[:, None]
    return pos[None].expand(3, -1, -1) if uses_mrope(model) else pos


def decode_positions(model: Any, start: torch.Tensor, steps: int) -> torch.Tensor:
    """Position ids (B, steps), or (3, B, steps) for M-RoPE, of the tokens 0..steps-1 places
    after `start`: `step_positions` for a whole decode at once."""
    pos = start[:, None] + torch.arange(steps, device=start.device)
    return pos[None].expand(3, -1, -1) if uses_mrope(model) else pos
