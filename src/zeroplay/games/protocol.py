"""How a pure game asks for generations: episodes are coroutines that `await` their turns.

An episode is written top to bottom as `async def play(ctx)`. Each `await ctx.generate(...)`
suspends the episode and hands the request(s) to whoever drives it: the rollout scheduler in
`zeroplay.rl.rollout` batches the pending requests of many episodes into one engine call; a unit
test drives it with scripted players (`run_scripted`). No event loop is involved, so games stay pure
and deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Generator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from zeroplay.engines.request import ChatRequest


class Generated(Protocol):
    """What a game sees of one completion: its text and why it ended ("stop" or "length")."""

    text: str
    finish_reason: str


@dataclass
class _Await:
    requests: list[ChatRequest]

    def __await__(
        self,
    ) -> Generator[list[ChatRequest], list[list[Generated]], list[list[Generated]]]:
        results = yield self.requests
        return results


class Context:
    """Handed to an episode; the only way a game reaches a model."""

    async def generate(self, request: ChatRequest) -> list[Generated]:
        """Sample `request.sampling.n` completions for one request."""
        (results,) = await _Await([request])
        return results

    async def generate_many(self, requests: Sequence[ChatRequest]) -> list[list[Generated]]:
        """Sample several independent requests at once (e.g. every civilian's vote)."""
        if not requests:
            return []
        return await _Await(list(requests))


Episode = Coroutine[list[ChatRequest], list[list[Generated]], Any]


@dataclass
class ScriptedGeneration:
    """A completion produced by a scripted player in tests."""

    text: str
    finish_reason: str = "stop"


def run_scripted(episode: Episode, player: Callable[[ChatRequest, int], str | Generated]) -> Any:
    """Drive one episode to completion with a scripted `player(request, sample_index) -> text`."""
    try:
        pending: list[ChatRequest] = episode.send(None)
    except StopIteration as stop:
        return stop.value
    while True:
        answers: list[list[Generated]] = []
        for request in pending:
            outs: list[Generated] = []
            for i in range(request.sampling.n):
                out = player(request, i)
                outs.append(ScriptedGeneration(out) if isinstance(out, str) else out)
            answers.append(outs)
        try:
            pending = episode.send(answers)
        except StopIteration as stop:
            return stop.value


@dataclass
class ScoredTurn:
    """One generated turn with its reward, as a game hands it to a recipe for training.

    `generated` is the object the driver returned (an engine completion in training, carrying the
    token ids and logprobs), so nothing is re-tokenized. `group` names the set of turns whose
    rewards are compared by a group-relative estimator; `role` and `stage` select the estimator.
    """

    generated: Generated
    role: str
    stage: str
    group: str
    reward: float
    policy: str = "default"
    info: dict[str, Any] | None = None
