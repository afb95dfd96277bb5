"""Phase 3 of a VisPlay iteration: one reasoner-training round on kept, silver-labelled questions.

The reasoner answers each question G times with its training prompt ((c) in the code style) and
each answer is scored against the silver label (`rewards.reasoner_reward`); the G answers of one
question form one GRPO group (`games.silver`, shared with MM-Zero's solver round).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PIL import Image

from zeroplay.games.protocol import Context
from zeroplay.games.silver import score_against_labels

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
    turns, answers = score_against_labels(
        replies,
        [q.question_id for q, _ in items],
        [q.label or "" for q, _ in items],
        lambda text, label: reasoner_reward(
            text, label, variant=cfg.reasoner_reward_variant, timeout_s=cfg.grade_timeout_s
        ),
        role="reasoner",
        stage="reasoner",
        info=lambda question_id, scored: {
            "question_id": question_id,
            "accuracy": scored.accuracy,
            "think_format": scored.think_format,
        },
    )
    records = [
        AnswerRecord(
            question_id=items[a.item][0].question_id,
            image_id=items[a.item][0].image_id,
            sample_index=a.sample_index,
            text=a.text,
            answer=a.score.answer,
            label=a.label,
            accuracy=a.score.accuracy,
            think_format=a.score.think_format,
            reward=a.score.reward,
        )
        for a in answers
    ]
    return ReasonerRound(turns=turns, records=records, metrics=reasoner_metrics(records))
