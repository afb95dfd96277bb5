"""Micro-batching of samples under a token budget, and their collation into model inputs.

Rows are prompt + completion, left-padded (`collate_prompts`), so every completion ends at the
last column: the hidden state at column p predicts the token at p + 1, hence the completion
tokens of a row with n of them are predicted by columns [W - n - 1, W - 1). Multimodal tensors
are concatenated in row order, which keeps each image with its placeholder tokens; Qwen's M-RoPE
positions come from the attention mask, so padding does not shift them. Samples that share a
prompt are kept in one micro-batch and can be scored in the shared-prefix layout instead
(`zeroplay.rl.shared_prefix`), which the scorer picks when the model supports it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import torch

from zeroplay.models.batching import collate_prompts
from zeroplay.rl.samples import Sample
from zeroplay.rl.shared_prefix import PackedGroups, pack_groups


@dataclass
class SampleBatch:
    """A micro-batch of samples: its completion tokens and both ways of feeding it to a model.

    `inputs`/`rows`/`cols` are the unshared layout (one left-padded row per sample; built on
    first use); `packed` is the shared-prefix layout (one row per distinct prompt, see
    `zeroplay.rl.shared_prefix`), None when no prompt repeats. Flat per-token values (targets,
    temperatures, a scorer's outputs) are in sample order whichever layout computed them.
    """

    samples: list[Sample]
    pad_id: int
    device: torch.device | str
    targets: torch.Tensor  # (N,) the sampled token ids
    lengths: list[int]  # completion length per row
    temperatures: torch.Tensor  # (N,) sampling temperature of each token's row

    @cached_property
    def _unshared(self) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
        inputs = collate_prompts(
            [s.prompt for s in self.samples],
            self.pad_id,
            suffixes=[s.completion_ids for s in self.samples],
            device=self.device,
        )
        width = inputs["input_ids"].shape[1]
        rows = [torch.full((n,), i, dtype=torch.long) for i, n in enumerate(self.lengths)]
        cols = [torch.arange(width - n - 1, width - 1, dtype=torch.long) for n in self.lengths]
        return inputs, torch.cat(rows).to(self.device), torch.cat(cols).to(self.device)

    @property
    def inputs(self) -> dict[str, torch.Tensor]:
        """Model inputs of the unshared layout (left-padded prompt + completion rows)."""
        return self._unshared[0]

    @property
    def rows(self) -> torch.Tensor:
        """(N,) unshared row of each completion token."""
        return self._unshared[1]

    @property
    def cols(self) -> torch.Tensor:
        """(N,) unshared column whose hidden state predicts each completion token."""
        return self._unshared[2]

    @cached_property
    def packed(self) -> PackedGroups | None:
        """The shared-prefix layout, or None when every prompt appears once."""
        return pack_groups(self.samples, self.pad_id, self.device)

    def to_padded(self, flat: torch.Tensor, fill: float = 0.0) -> torch.Tensor:
        """Scatter per-token values (N,) into a (rows, max completion length) matrix."""
        width = max(self.lengths) if self.lengths else 0
        out = flat.new_full((len(self.lengths), width), fill)
        offset = 0
        for i, n in enumerate(self.lengths):
            out[i, :n] = flat[offset : offset + n]
            offset += n
        return out


def _layout_cost(pieces: Sequence[list[Sample]]) -> int:
    """Padded tokens of a micro-batch in the larger of its two layouts (each piece shares a prompt).

    Unshared: samples x longest prompt + completion. Shared: pieces x longest packed row.
    """
    samples = [s for piece in pieces for s in piece]
    unshared = len(samples) * max(s.num_tokens for s in samples)
    packed = max(p[0].prompt.length + sum(s.num_completion_tokens for s in p) for p in pieces)
    return max(unshared, len(pieces) * packed)


def micro_batches(
    samples: Sequence[Sample], token_budget: int, max_rows: int = 64
) -> Iterator[list[Sample]]:
    """Split samples into micro-batches of at most `max_rows` samples whose padded size (in
    either layout, see `_layout_cost`) stays under `token_budget`.

    Samples of one prompt stay in one micro-batch so the shared-prefix pass can compute the
    prompt once; a group too big for the budget is cut into pieces that each go alone.
    """
    groups: dict[str, list[Sample]] = {}
    for s in samples:
        groups.setdefault(s.prompt.fingerprint, []).append(s)
    whole: list[list[Sample]] = []
    for group in groups.values():
        group = sorted(group, key=lambda s: -s.num_tokens)
        if _layout_cost([group]) <= token_budget and len(group) <= max_rows:
            whole.append(group)
            continue
        piece: list[Sample] = []
        for s in group:
            if piece and (_layout_cost([[*piece, s]]) > token_budget or len(piece) >= max_rows):
                yield piece
                piece = []
            piece.append(s)
        yield piece
    whole.sort(key=lambda g: -(g[0].prompt.length + sum(s.num_completion_tokens for s in g)))
    chunk: list[list[Sample]] = []
    for group in whole:
        rows = sum(len(g) for g in chunk) + len(group)
        if chunk and (_layout_cost([*chunk, group]) > token_budget or rows > max_rows):
            yield [s for g in chunk for s in g]
            chunk = []
        chunk.append(group)
    if chunk:
        yield [s for g in chunk for s in g]


def collate_samples(
    samples: Sequence[Sample], pad_id: int, device: torch.device | str
) -> SampleBatch:
    """The micro-batch's completion tokens; its model inputs are built by the layout used."""
    lengths = [s.num_completion_tokens for s in samples]
    temps = [torch.full((n,), float(s.temperature)) for s, n in zip(samples, lengths, strict=True)]
    return SampleBatch(
        samples=list(samples),
        pad_id=pad_id,
        device=device,
        targets=torch.cat([s.completion_ids for s in samples]).to(device),
        lengths=lengths,
        temperatures=torch.cat(temps).to(device),
    )
