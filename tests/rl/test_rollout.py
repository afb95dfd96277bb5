"""The rollout scheduler batches pending requests of many episodes into one engine call."""

from __future__ import annotations

from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
from zeroplay.games.protocol import Context, ScriptedGeneration
from zeroplay.rl.rollout import run_episodes


class CountingEngine:
    """Answers each request with its prompt text and sample index; records batch sizes."""

    def __init__(self):
        self.calls: list[int] = []

    def generate(self, requests):
        self.calls.append(len(requests))
        return [
            [
                ScriptedGeneration(f"{r.messages[-1]['content'][-1]['text']}#{j}")
                for j in range(r.sampling.n)
            ]
            for r in requests
        ]


async def two_turns(ctx: Context, name: str, parallel: int):
    first = await ctx.generate(ChatRequest([user_message(name)], sampling=SamplingParams(n=2)))
    follow = await ctx.generate_many(
        [ChatRequest([user_message(f"{name}-{k}")]) for k in range(parallel)]
    )
    return [g.text for g in first] + [group[0].text for group in follow]


def test_requests_of_all_episodes_share_engine_calls():
    engine = CountingEngine()
    episodes = [two_turns(Context(), f"e{i}", parallel=i) for i in range(3)]
    results = run_episodes(engine, episodes)
    assert results[0] == ["e0#0", "e0#1"]
    assert results[2] == ["e2#0", "e2#1", "e2-0#0", "e2-1#0"]
    # round 1: three first turns together; round 2: 0 + 1 + 2 follow-ups together
    assert engine.calls == [3, 3]


def test_episode_without_requests_returns_immediately():
    async def nothing(ctx):
        return 42

    assert run_episodes(CountingEngine(), [nothing(Context())]) == [42]
