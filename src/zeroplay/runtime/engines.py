"""The engine as one rollout step sees it: policy aliases, a token count, rank sharding.

A recipe makes one per step (or label batch) around its policies' engine. `aliases` send the
requests of one policy name to other weights, e.g. MM-Zero's CodeGen-phase judge questions for
"solver" answered by the `phase_start` snapshot (note §11.1); `tokens` gives tokens_per_s.
`ShardedEngine` splits a batch that every rank holds whole over the data-parallel ranks.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from zeroplay.engines.base import Completion, Engine
from zeroplay.engines.request import ChatRequest
from zeroplay.games.protocol import ScoredTurn
from zeroplay.runtime.ranks import owner_of, shard_map

RANK = "rank"  # Completion.extra key: the rank that generated it and holds its model inputs


class StepEngine:
    """Routes aliased policies to other weights and counts the completion tokens it generated."""

    def __init__(self, inner: Engine, aliases: Mapping[str, str] | None = None):
        self.inner = inner
        self.aliases = dict(aliases or {})
        self.tokens = 0

    def generate(self, requests: Sequence[ChatRequest]) -> list[list[Completion]]:
        routed = [
            replace(r, policy=self.aliases[r.policy]) if r.policy in self.aliases else r
            for r in requests
        ]
        out = self.inner.generate(routed)
        self.tokens += sum(c.num_tokens for group in out for c in group)
        return out


class ShardedEngine:
    """Every rank passes the whole batch; each generates its share (`shard_map`) and gets the
    other ranks' completions without their model inputs (`prompt` None).

    Seedless requests first get a seed from `random.Random(seed)` in request order, so what a
    request samples does not depend on which rank generates it or beside which others: any
    number of ranks samples what one process does. `extra["rank"]` of each completion names the
    rank that generated it, the only one that can train on it (`owns`).
    """

    def __init__(self, inner: Engine, accelerator: Any, seed: int):
        self.inner = inner
        self.accelerator = accelerator
        self.rng = random.Random(seed)

    def generate(self, requests: Sequence[ChatRequest]) -> list[list[Completion]]:
        seeded = [
            r
            if r.sampling.seed is not None
            else replace(r, sampling=r.sampling.with_(seed=self.rng.getrandbits(62)))
            for r in requests
        ]
        groups = shard_map(
            self.accelerator, self.inner.generate, seeded, pack=_shipped, unpack=_received
        )
        world = self.accelerator.num_processes
        return [
            [replace(c, extra={**c.extra, RANK: owner_of(i, world)}) for c in group]
            for i, group in enumerate(groups)
        ]


def owns(rank: int, turn: ScoredTurn) -> bool:
    """Whether `rank` generated `turn`; a turn not from a `ShardedEngine` is rank 0's, so it is
    trained once whatever the number of ranks."""
    extra = getattr(turn.generated, "extra", None) or {}
    return extra.get(RANK, 0) == rank


def _shipped(group: list[Completion]) -> list[Completion]:
    """A group as it travels to other ranks: ids, logprobs and text, no request or inputs."""
    return [
        replace(
            c,
            request=None,
            prompt=None,
            token_ids=c.token_ids.cpu(),
            logprobs=c.logprobs.cpu(),
            policy_logprobs=c.policy_logprobs.cpu(),
        )
        for c in group
    ]


def _received(request: ChatRequest, group: list[Completion]) -> list[Completion]:
    return [replace(c, request=request) for c in group]
