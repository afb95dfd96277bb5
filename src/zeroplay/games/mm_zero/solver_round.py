"""Phase 3 of an MM-Zero iteration: one Solver-training round (note §4.3, §5).

Each labelled item gets `solver_rollout.n` answers (one GRPO group), each rewarded
0.9 * [its boxed answer grades equal to the majority label] + 0.1 * [exact think-then-box format].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zeroplay.games.mm_zero.asking import solver_request
from zeroplay.games.mm_zero.config import MMZeroGameConfig
from zeroplay.games.mm_zero.metrics import solver_metrics
from zeroplay.games.mm_zero.records import SolverItem, SolverRecord, SolverRound
from zeroplay.games.mm_zero.rewards import solver_reward
from zeroplay.games.protocol import Context, ScoredTurn

PHASE = "solver"


async def solver_round(
    ctx: Context,
    items: Sequence[SolverItem],
    config: MMZeroGameConfig,
    *,
    meta: Mapping[str, Any] | None = None,
) -> SolverRound:
    """Play one Solver round over `items` (unique ids) and score every Solver sample."""
    replies = await ctx.generate_many(
        [
            solver_request(
                item.question,
                item.image,
                config.solver_rollout,
                phase=PHASE,
                use="train",
                meta=meta,
                item_id=item.item_id,
            )
            for item in items
        ]
    )
    turns: list[ScoredTurn] = []
    records: list[SolverRecord] = []
    for item, samples in zip(items, replies, strict=True):
        for k, sample in enumerate(samples):
            score = solver_reward(sample.text, item.label, config)
            records.append(
                SolverRecord(
                    item_id=item.item_id,
                    sample_index=k,
                    text=sample.text,
                    answer=score.answer,
                    label=item.label,
                    accuracy=score.accuracy,
                    format=score.format,
                    reward=score.reward,
                )
            )
            turns.append(
                ScoredTurn(
                    generated=sample,
                    role="solver",
                    stage=PHASE,
                    group=item.item_id,
                    reward=score.reward,
                    policy="solver",
                    info={
                        "item_id": item.item_id,
                        "accuracy": score.accuracy,
                        "format": score.format,
                    },
                )
            )
    return SolverRound(turns=turns, records=records, metrics=solver_metrics(records))
