"""Phase 3 of an MM-Zero iteration: one Solver-training round (note §4.3, §5).

Each labelled item gets `solver_rollout.n` answers (one GRPO group), each rewarded
0.9 * [its boxed answer grades equal to the majority label] + 0.1 * [exact think-then-box format]
(`games.silver`, shared with VisPlay's reasoner round).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zeroplay.games.mm_zero.asking import solver_request
from zeroplay.games.mm_zero.config import MMZeroGameConfig
from zeroplay.games.mm_zero.metrics import solver_metrics
from zeroplay.games.mm_zero.records import SolverItem, SolverRecord, SolverRound
from zeroplay.games.mm_zero.rewards import solver_reward
from zeroplay.games.protocol import Context
from zeroplay.games.silver import score_against_labels

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
    turns, answers = score_against_labels(
        replies,
        [item.item_id for item in items],
        [item.label for item in items],
        lambda text, label: solver_reward(text, label, config),
        role="solver",
        stage=PHASE,
        info=lambda item_id, score: {
            "item_id": item_id,
            "accuracy": score.accuracy,
            "format": score.format,
        },
    )
    records = [
        SolverRecord(
            item_id=items[a.item].item_id,
            sample_index=a.sample_index,
            text=a.text,
            answer=a.score.answer,
            label=a.label,
            accuracy=a.score.accuracy,
            format=a.score.format,
            reward=a.score.reward,
        )
        for a in answers
    ]
    return SolverRound(turns=turns, records=records, metrics=solver_metrics(records))
