"""The rollout scheduler: drives many episode coroutines and batches their requests.

Each episode (see `zeroplay.games.protocol`) suspends on `await ctx.generate(...)`. The scheduler
advances every episode to its next suspension, sends all pending requests of all episodes to the
engine in one call (which sorts and chunks them), hands each episode its completions, and repeats
until every episode has returned. Game logic stays sequential; generation stays batched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from zeroplay.engines.base import Engine
from zeroplay.engines.request import ChatRequest
from zeroplay.games.protocol import Episode


def run_episodes(
    engine: Engine,
    episodes: Sequence[Episode],
    on_round: Callable[[int, int], None] | None = None,
) -> list[Any]:
    """Run `episodes` to completion; returns their return values in order.

    `on_round(requests, samples)` is called after each engine call (for progress display).
    """
    results: list[Any] = [None] * len(episodes)
    pending: dict[int, list[ChatRequest]] = {}

    def advance(i: int, value: Any) -> None:
        try:
            pending[i] = episodes[i].send(value)
        except StopIteration as stop:
            results[i] = stop.value
            pending.pop(i, None)

    for i in range(len(episodes)):
        advance(i, None)
    while pending:
        order = sorted(pending)
        flat: list[ChatRequest] = [r for i in order for r in pending[i]]
        answers = engine.generate(flat) if flat else []
        if on_round is not None:
            on_round(len(flat), sum(r.sampling.n for r in flat))
        offset = 0
        for i in order:
            k = len(pending[i])
            advance(i, answers[offset : offset + k])
            offset += k
    return results
