"""The released code's cap on Solver prompt length (`solver.max_prompt_tokens`).

EasyR1 dropped training prompts longer than `max_prompt_length` (8192 tokens for the Solver in
the released configs, note §5): text plus image tokens as the policy's processor makes them. The
count here uses the same chat template and processor call as generation, so it is the length
the engine would see.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zeroplay.engines.hf import prepare_request
from zeroplay.engines.request import SamplingParams
from zeroplay.games.mm_zero.asking import solver_request
from zeroplay.games.mm_zero.records import SolverItem


def solver_prompt_tokens(processor: Any, item: SolverItem) -> int:
    """Tokens of the Solver's training prompt for `item` (chat template, text and image)."""
    request = solver_request(
        item.question, item.image, SamplingParams(), phase="solver", use="train"
    )
    return prepare_request(processor, request).length


def within_prompt_cap(
    items: Sequence[SolverItem], processor: Any, max_tokens: int
) -> tuple[list[SolverItem], int]:
    """The items whose Solver prompt has at most `max_tokens` tokens, and how many were dropped.

    `max_tokens` 0 keeps every item without counting.
    """
    if max_tokens <= 0:
        return list(items), 0
    kept = [item for item in items if solver_prompt_tokens(processor, item) <= max_tokens]
    return kept, len(items) - len(kept)
