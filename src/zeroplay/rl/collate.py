"""Micro-batching of samples under a token budget, and their collation into model inputs.

Rows are prompt + completion, left-padded (`collate_prompts`), so every completion ends at the
last column: the hidden state at column p predicts the token at p + 1, hence the completion
tokens of a row with n of them are predicted by columns [W - n - 1, W - 1). Multimodal tensors
are concatenated in row order, which keeps each image with its placeholder tokens; Qwen's M-RoPE
positions come from the attention mask, so padding does not shift them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from zeroplay.models.batching import collate_prompts
from zeroplay.rl.samples import Sample


@dataclass
class SampleBatch:
    """Model inputs for a micro-batch plus where the completion tokens sit."""

    inputs: dict[str, torch.Tensor]
    rows: torch.Tensor  # (N,) row of each completion token
    cols: torch.Tensor  # (N,) column whose hidden state predicts it
    targets: torch.Tensor  # (N,) the sampled token ids
    lengths: list[int]  # completion length per row
    temperatures: torch.Tensor  # (N,) sampling temperature of each token's row

    def to_padded(self, flat: torch.Tensor, fill: float = 0.0) -> torch.Tensor:
        """Scatter per-token values (N,) into a (rows, max completion length) matrix."""
        width = max(self.lengths) if self.lengths else 0
        out = flat.new_full((len(self.lengths), width), fill)
        offset = 0
        for i, n in enumerate(self.lengths):
            out[i, :n] = flat[offset : offset + n]
            offset += n
        return out


def micro_batches(
    samples: Sequence[Sample], token_budget: int, max_rows: int = 64
) -> Iterator[list[Sample]]:
    """Split samples (sorted by length, longest first) so rows x padded width <= token_budget."""
    ordered = sorted(samples, key=lambda s: -s.num_tokens)
    chunk: list[Sample] = []
    width = 0
    for s in ordered:
        new_width = max(width, s.num_tokens)
        if chunk and (new_width * (len(chunk) + 1) > token_budget or len(chunk) >= max_rows):
            yield chunk
            chunk, new_width = [], s.num_tokens
        chunk.append(s)
        width = new_width
    if chunk:
        yield chunk


def collate_samples(
    samples: Sequence[Sample], pad_id: int, device: torch.device | str
) -> SampleBatch:
    """Left-padded prompt + completion rows and the flat completion positions."""
    inputs = collate_prompts(
        [s.prompt for s in samples],
        pad_id,
        suffixes=[s.completion_ids for s in samples],
        device=device,
    )
    width = inputs["input_ids"].shape[1]
    rows, cols, temps = [], [], []
    lengths = []
    for i, s in enumerate(samples):
        n = s.num_completion_tokens
        lengths.append(n)
        rows.append(torch.full((n,), i, dtype=torch.long))
        cols.append(torch.arange(width - n - 1, width - 1, dtype=torch.long))
        temps.append(torch.full((n,), float(s.temperature)))
    targets = torch.cat([s.completion_ids for s in samples]).to(device)
    return SampleBatch(
        inputs=inputs,
        rows=torch.cat(rows).to(device),
        cols=torch.cat(cols).to(device),
        targets=targets,
        lengths=lengths,
        temperatures=torch.cat(temps).to(device),
    )
