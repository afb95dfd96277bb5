"""Differentiable logprobs of completion tokens: backbone forward, then the LM head only where needed.

`CompletionScorer` wraps the policy so the whole computation runs inside one `forward` (what
DDP/FSDP wrap and synchronise). It runs the model's backbone (vision tower + language model,
LoRA layers included) to get final hidden states, picks the N positions that predict completion
tokens, and projects only those, chunk by chunk (`selected_logprobs`), so a
(batch, length, vocab) logits tensor never exists. A group's samples share one pass over their
prompt where the architecture supports it (`zeroplay.rl.shared_prefix`).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from zeroplay.models.unwrap import unwrap_peft
from zeroplay.rl.collate import SampleBatch
from zeroplay.rl.logprobs import selected_logprobs
from zeroplay.rl.shared_prefix import supports_shared_prefix


def backbone_and_head(model: Any) -> tuple[nn.Module, nn.Module]:
    """(module returning `last_hidden_state`, output projection) of a VLM for conditional generation."""
    inner = unwrap_peft(model)
    head = inner.get_output_embeddings()
    backbone = getattr(inner, "model", None)
    if backbone is None or head is None:
        raise TypeError(
            f"{type(inner).__name__} does not expose .model and an output projection; "
            "zeroplay needs a *ForConditionalGeneration / *ForCausalLM model"
        )
    return backbone, head


class CompletionScorer(nn.Module):
    """`forward(batch) -> (logprobs (N,), entropy (N,) or None)` for the batch's completion tokens.

    Samples that share a prompt are scored in one shared-prefix pass (`zeroplay.rl.shared_prefix`)
    when `share_prompts` is set and the model supports it, else as one row each.
    """

    def __init__(self, model: nn.Module, chunk_size: int = 1024, share_prompts: bool = True):
        super().__init__()
        self.model = model
        self.chunk_size = chunk_size
        self.share_prompts = share_prompts and supports_shared_prefix(model)

    def forward(self, batch: SampleBatch, with_entropy: bool = False):
        backbone, head = backbone_and_head(self.model)
        packed = batch.packed if self.share_prompts else None
        if packed is not None:
            out = backbone(**packed.model_inputs(self.model), use_cache=False)
            hidden = out.last_hidden_state[packed.rows, packed.cols]
        else:
            out = backbone(**batch.inputs, use_cache=False)
            hidden = out.last_hidden_state[batch.rows, batch.cols]
        temps = batch.temperatures.to(hidden.dtype)
        if getattr(head, "bias", None) is None:
            # logits / T = (h / T) W^T when the head has no bias: per-token temperatures for free.
            return selected_logprobs(
                hidden / temps[:, None],
                head,
                batch.targets,
                chunk_size=self.chunk_size,
                with_entropy=with_entropy,
            )
        if not torch.all(temps == temps[0]):
            raise ValueError("an LM head with a bias needs one temperature per micro-batch")
        return selected_logprobs(
            hidden,
            head,
            batch.targets,
            temperature=float(temps[0]),
            chunk_size=self.chunk_size,
            with_entropy=with_entropy,
        )
