"""Sharded calls over data-parallel ranks: two ranks as two threads with an in-memory gather.

The real collective runs in tests/recipes/test_mm_zero_ranks.py (two gloo processes); here the
bookkeeping is checked: who computes what, the order results come back in, what travels.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

import torch

from zeroplay.engines.base import Completion
from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
from zeroplay.games.protocol import ScoredTurn
from zeroplay.runtime import ShardedEngine, ranks, shard_map
from zeroplay.runtime.engines import owns


@dataclass
class _Rank:
    """The accelerator as the sharding code sees it."""

    process_index: int = 0
    num_processes: int = 1


def _on_two_ranks(monkeypatch, work):
    """Run `work(accelerator)` on two thread-ranks whose `gather_objects` meet in memory."""
    barrier = threading.Barrier(2)
    slots: list = [None, None]

    def gather(accelerator, obj):
        slots[accelerator.process_index] = obj
        barrier.wait()
        everyone = list(slots)
        barrier.wait()
        return everyone

    monkeypatch.setattr(ranks, "gather_objects", gather)
    results: list = [None, None]

    def run(rank: int) -> None:
        results[rank] = work(_Rank(rank, 2))

    threads = [threading.Thread(target=run, args=(r,)) for r in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_shard_map_on_one_process_is_the_call():
    assert shard_map(_Rank(), lambda xs: [x * 2 for x in xs], [1, 2, 3]) == [2, 4, 6]


def test_shard_map_splits_by_position_and_returns_everything_in_order(monkeypatch):
    seen: dict[int, list[int]] = {}

    def work(acc):
        def fn(items):
            seen[acc.process_index] = list(items)
            return [(x, acc.process_index) for x in items]

        return shard_map(
            acc, fn, [10, 11, 12, 13, 14], pack=lambda r: r[0], unpack=lambda x, p: (p, "far")
        )

    got = _on_two_ranks(monkeypatch, work)
    assert seen == {0: [10, 12, 14], 1: [11, 13]}
    assert got[0] == [(10, 0), (11, "far"), (12, 0), (13, "far"), (14, 0)]
    assert got[1] == [(10, "far"), (11, 1), (12, "far"), (13, 1), (14, "far")]


class _SeedEcho:
    """Completions whose text is the request's seed and sample index (a sampler stand-in)."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def generate(self, requests):
        self.calls.append([r.messages[0]["content"][0]["text"] for r in requests])
        return [
            [
                Completion(
                    request=r,
                    prompt=object(),  # stands for the model inputs, kept on this rank
                    index=j,
                    token_ids=torch.tensor([1, 2]),
                    logprobs=torch.zeros(2),
                    policy_logprobs=torch.zeros(2),
                    text=f"{r.sampling.seed}/{j}",
                    finish_reason="stop",
                )
                for j in range(r.sampling.n)
            ]
            for r in requests
        ]


def _requests():
    fixed = SamplingParams(n=1, seed=7)
    return [
        ChatRequest([user_message("a")], sampling=SamplingParams(n=2)),
        ChatRequest([user_message("b")], sampling=fixed),
        ChatRequest([user_message("c")], sampling=SamplingParams(n=1)),
    ]


def test_sharded_engine_seeds_requests_so_ranks_sample_what_one_process_does(monkeypatch):
    alone = ShardedEngine(_SeedEcho(), _Rank(), seed=3).generate(_requests())
    texts = [[c.text for c in group] for group in alone]
    assert texts[1] == ["7/0"]  # a request's own seed is kept
    assert texts[0][0] != texts[2][0] and texts[0][1].endswith("/1")
    assert (
        ShardedEngine(_SeedEcho(), _Rank(), seed=3).generate(_requests())[2][0].text
        == (texts[2][0])
    )
    assert all(c.extra["rank"] == 0 for group in alone for c in group)

    engines = {}

    def work(acc):
        engines[acc.process_index] = ShardedEngine(_SeedEcho(), acc, seed=3)
        return engines[acc.process_index].generate(_requests())

    got = _on_two_ranks(monkeypatch, work)
    assert engines[0].inner.calls == [["a", "c"]] and engines[1].inner.calls == [["b"]]
    for rank in (0, 1):
        assert [[c.text for c in group] for group in got[rank]] == texts
        owners = [c.extra["rank"] for group in got[rank] for c in group]
        assert owners == [0, 0, 1, 0]
        mine = [c.prompt is not None for group in got[rank] for c in group]
        assert mine == [o == rank for o in owners]  # other ranks' inputs do not travel
        assert [group[0].request.messages for group in got[rank]] == [
            r.messages for r in _requests()
        ]
    turn = ScoredTurn(generated=got[1][1][0], role="r", stage="s", group="g", reward=1.0)
    assert owns(1, turn) and not owns(0, turn)
    scripted = replace(turn, generated=replace(got[1][1][0], text="x"))
    assert owns(1, scripted)  # a wrapper that rewrites the text keeps the owner
    unsharded = replace(turn, generated=object())
    assert owns(0, unsharded) and not owns(1, unsharded)  # trained once, on rank 0
