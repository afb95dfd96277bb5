"""The engine as one MM-Zero step sees it: policy aliases, per-step seeds, token counts.

Roles that are not training answer in-process through the same engine (no services). In the
CodeGen phase the judge questions the game sends to policy "solver" may be served by the
`phase_start` snapshot instead (`codegen_judge="codegen_init"`, note §11.1); `StepEngine`
rewrites the policy of those requests.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from zeroplay.engines.base import Completion, Engine
from zeroplay.engines.request import ChatRequest


class StepEngine:
    """Routes aliased policies to other weights and counts the tokens it generated."""

    def __init__(self, inner: Engine, aliases: Mapping[str, str] | None = None):
        self.inner = inner
        self.aliases = dict(aliases or {})
        self.generated_tokens = 0

    def generate(self, requests: Sequence[ChatRequest]) -> list[list[Completion]]:
        routed = [
            replace(r, policy=self.aliases[r.policy]) if r.policy in self.aliases else r
            for r in requests
        ]
        out = self.inner.generate(routed)
        self.generated_tokens += sum(c.num_tokens for group in out for c in group)
        return out


def step_rng_states(seed: int, phase: str, step: int, count: int) -> list[Any]:
    """`random.Random` states for the engine's `count` samplers at one step of one phase.

    Re-seeding the engine at every step makes a step's samples a function of the weights and
    the step's name only, so a resumed run samples exactly what an uninterrupted one did,
    whichever phase it stopped in. (String seeds are hashed with SHA-512, not `hash()`.)
    """
    return [random.Random(f"mm_zero:{seed}:{phase}:{step}:{k}").getstate() for k in range(count)]
