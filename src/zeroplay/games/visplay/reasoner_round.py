"""Phase 3 of a VisPlay iteration: one reasoner-training round on kept, silver-labelled questions.

The reasoner answers each question G times with its training prompt ((c) in the code style) and
each answer is scored against the silver label (`rewards.reasoner_reward`); the G answers of one
question form one GRPO group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PIL import Image

from zeroplay.games.protocol import Context, ScoredTurn

from .asking import ReasonerQuery, ask_reasoner, check_unique_ids
from .config import VisPlayGameConfig
from .metrics import reasoner_metrics
from .records import AnswerRecord, LabelledQuestion, ReasonerRound
from .rewards import reasoner_reward

PHASE = "reasoner"


async def reasoner_round(
    ctx: Context,
    items: Sequence[tuple[LabelledQuestion, Image.Image]],
    cfg: VisPlayGameConfig,
    *,
    meta: Mapping[str, Any] | None = None,
) -> ReasonerRound:
    """Answer and score every kept question of `items` (each must be kept, with a label)."""
    check_unique_ids([q.question_id for q, _ in items])
    for q, _ in items:
        if not q.kept or q.label is None or q.question is None:
            raise ValueError(f"question {q.question_id!r} was not kept with a silver label")
    queries = [
        ReasonerQuery(
            question_id=q.question_id,
            image_id=q.image_id,
            question=q.question or "",
            question_type=q.question_type or "",
            image=image,
        )
        for q, image in items
    ]
    replies = await ask_reasoner(
        ctx,
        queries,
        style=cfg.prompt_style,
        use="train",
        sampling=cfg.reasoner_train_sampling.params(cfg.reasoner_group_size),
        phase=PHASE,
        extra_meta=meta,
    )
    turns: list[ScoredTurn] = []
    records: list[AnswerRecord] = []
    for (q, _), samples in zip(items, replies, strict=True):
        label = q.label or ""
        for k, generated in enumerate(samples):
            scored = reasoner_reward(
                generated.text,
                label,
                variant=cfg.reasoner_reward_variant,
                timeout_s=cfg.grade_timeout_s,
            )
            records.append(
                AnswerRecord(
                    question_id=q.question_id,
                    image_id=q.image_id,
                    sample_index=k,
                    text=generated.text,
                    answer=scored.answer,
                    label=label,
                    accuracy=scored.accuracy,
                    think_format=scored.think_format,
                    reward=scored.reward,
                )
            )
            turns.append(
                ScoredTurn(
                    generated=generated,
                    role="reasoner",
                    stage="reasoner",
                    group=q.question_id,
                    reward=scored.reward,
                    policy="reasoner",
                    info={
                        "question_id": q.question_id,
                        "accuracy": scored.accuracy,
                        "think_format": scored.think_format,
                    },
                )
            )
    return ReasonerRound(turns=turns, records=records, metrics=reasoner_metrics(records))
