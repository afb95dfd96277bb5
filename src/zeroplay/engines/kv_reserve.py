"""A KV cache with room reserved for the decode: each step writes one position in place.

transformers' `DynamicLayer` appends a step's keys and values with `torch.cat`, which copies the
whole cache of every layer at every decode step (quadratic in the completion length; 23% of the
generation time of the benchmark's small model on a CPU). `reserve_cache` swaps each plain
dynamic layer of a prefilled cache for a `ReservedLayer` holding the same keys and values in a
buffer with room for `extra` more positions: `update` writes the new positions into the buffer
and returns a view of the filled part, so a step copies only what it adds. The attention sees the
same keys and values (the view holds exactly the filled positions), so logits are unchanged.
Layers of any other kind (sliding windows, quantised, ...) are left as they are.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers.cache_utils import DynamicLayer


class ReservedLayer(DynamicLayer):
    """A dynamic cache layer backed by a preallocated (batch, heads, capacity, dim) buffer."""

    def __init__(self, keys: torch.Tensor, values: torch.Tensor, capacity: int):
        super().__init__()
        self.dtype, self.device = keys.dtype, keys.device
        self.is_initialized = True
        self._fill(keys, values, max(capacity, keys.shape[2]))

    def _fill(self, keys: torch.Tensor, values: torch.Tensor, capacity: int) -> None:
        """New buffers of `capacity` positions holding `keys` and `values` at the start."""
        length = keys.shape[2]
        self._keys = keys.new_empty(*keys.shape[:2], capacity, keys.shape[-1])
        self._values = values.new_empty(*values.shape[:2], capacity, values.shape[-1])
        self._keys[:, :, :length] = keys
        self._values[:, :, :length] = values
        self._set_length(length)

    def _set_length(self, length: int) -> None:
        self.length = length
        self.keys = self._keys[:, :, :length]
        self.values = self._values[:, :, :length]

    @property
    def capacity(self) -> int:
        return self._keys.shape[2]

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Write the new positions after the filled ones (doubling the buffer if it is full)."""
        end = self.length + key_states.shape[-2]
        if end > self.capacity:  # full: double the buffers
            self._fill(self.keys, self.values, max(end, 2 * self.capacity))
        self._keys[:, :, self.length : end] = key_states
        self._values[:, :, self.length : end] = value_states
        self._set_length(end)
        return self.keys, self.values

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        """Keep only the rows `indices` (the buffer keeps its capacity)."""
        self._keys = self._keys.index_select(0, indices)
        self._values = self._values.index_select(0, indices)
        self._set_length(self.length)

    def batch_repeat_interleave(self, repeats: int) -> None:
        self._keys = self._keys.repeat_interleave(repeats, dim=0)
        self._values = self._values.repeat_interleave(repeats, dim=0)
        self._set_length(self.length)

    def crop(self, tokens_to_remove: int) -> None:
        """Drop the last `-tokens_to_remove` positions (transformers' convention: a negative count)."""
        if tokens_to_remove > 0:
            raise ValueError(f"crop takes a negative count of positions, got {tokens_to_remove}")
        self._set_length(self.length + tokens_to_remove)

    def reset(self) -> None:
        self._set_length(0)


def reserve_cache(cache: Any, extra: int, rows: torch.Tensor | None = None) -> Any:
    """Give every plain dynamic layer of `cache` room for `extra` more positions, in place.

    `rows`, when given, selects (and may repeat) the batch rows first, as
    `cache.batch_select_indices(rows)` would, in the same copy. Returns `cache`.
    """
    layers = getattr(cache, "layers", None)
    if layers is None:
        if rows is not None:
            cache.batch_select_indices(rows)
        return cache
    for i, layer in enumerate(layers):
        if type(layer) is not DynamicLayer or not layer.is_initialized:
            if rows is not None:
                layer.batch_select_indices(rows)
            continue
        keys, values = layer.keys, layer.values
        if rows is not None:
            keys, values = keys.index_select(0, rows), values.index_select(0, rows)
        layers[i] = ReservedLayer(keys, values, keys.shape[2] + extra)
    return cache
