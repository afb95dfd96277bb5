"""The engine as one rollout step sees it: policy aliases and a count of generated tokens.

A recipe makes one per step (or label batch) around its policies' engine. `aliases` send the
requests of one policy name to other weights, e.g. MM-Zero's CodeGen-phase judge questions for
"solver" answered by the `phase_start` snapshot (note §11.1); `tokens` gives tokens_per_s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from zeroplay.engines.base import Completion, Engine
from zeroplay.engines.request import ChatRequest


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
