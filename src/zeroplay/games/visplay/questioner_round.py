"""Phase 1 of a VisPlay iteration: one questioner-training round against the frozen reasoner.

For every image the questioner writes G questions; the reasoner answers each valid one m times
(prompt (a) in the code style); the majority share c and the BLEU-cluster share give each question
its reward (`rewards.questioner_reward`). The code variant clusters over the whole batch, so the
round takes all images at once and scores after every image is done (note §2.2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zeroplay.games.protocol import Context, ScoredTurn

from .asking import ImageItem, ReasonerQuery, ask_questioner, ask_reasoner
from .config import VisPlayGameConfig
from .metrics import questioner_metrics
from .records import QuestionerRound, QuestionRecord
from .redundancy import cluster_shares
from .rewards import questioner_reward
from .voting import AnswerVote, vote_on_replies

PHASE = "questioner"
NON_ANSWER_REASON = "mostly non-answers"


async def questioner_round(
    ctx: Context,
    images: Sequence[ImageItem],
    cfg: VisPlayGameConfig,
    *,
    meta: Mapping[str, Any] | None = None,
) -> QuestionerRound:
    """Play one questioner round over `images` (unique ids) and score every questioner sample.

    `meta` is merged into every request's metadata (e.g. the iteration number).
    """
    asked = await ask_questioner(
        ctx,
        images,
        style=cfg.prompt_style,
        use="train",
        sampling=cfg.questioner_train_sampling.params(cfg.questioner_group_size),
        validate_type=cfg.validate_type,
        phase=PHASE,
        extra_meta=meta,
    )
    image_of = dict(images)
    queries = [
        ReasonerQuery(
            question_id=a.question_id,
            image_id=a.image_id,
            question=a.parsed.value.question,
            question_type=a.parsed.value.question_type,
            image=image_of[a.image_id],
        )
        for group in asked
        for a in group
        if a.parsed.ok and a.parsed.value is not None
    ]
    replies = await ask_reasoner(
        ctx,
        queries,
        style=cfg.prompt_style,
        use="reward",
        sampling=cfg.reasoner_reward_sampling.params(cfg.reward_samples),
        phase=PHASE,
        extra_meta=meta,
    )
    votes: dict[str, AnswerVote] = {
        q.question_id: vote_on_replies(
            [r.text for r in samples],
            drop_non_answers=cfg.drop_non_answers,
            no_merge_rule=cfg.no_merge_rule,
            timeout_s=cfg.grade_timeout_s,
            exclude_non_answers=cfg.non_answers == "excluded",
        )
        for q, samples in zip(queries, replies, strict=True)
    }
    # Invalid questions join the clustering as "" (singletons that count in N), as in the code.
    texts = [
        [a.parsed.value.question if a.parsed.ok and a.parsed.value else "" for a in group]
        for group in asked
    ]
    shares = cluster_shares(texts, cfg.diversity_scope, cfg.bleu_distance_threshold)

    turns: list[ScoredTurn] = []
    records: list[QuestionRecord] = []
    for group, group_shares in zip(asked, shares, strict=True):
        for a, share in zip(group, group_shares, strict=True):
            vote = votes.get(a.question_id)
            invalid_reason = a.parsed.reason
            if vote is not None and cfg.non_answers == "excluded" and vote.mostly_non_answers:
                # A question the reasoner mostly does not answer is not an uncertain one.
                invalid_reason = NON_ANSWER_REASON
            valid = vote is not None and invalid_reason is None
            scored = questioner_reward(
                valid=valid,
                confidence=vote.confidence if vote else 0.0,
                share=share.share,
                variant=cfg.reward_variant,
                diversity_lambda=cfg.diversity_lambda,
            )
            question = a.parsed.value
            record = QuestionRecord(
                question_id=a.question_id,
                image_id=a.image_id,
                sample_index=a.sample_index,
                text=a.generated.text,
                valid=valid,
                invalid_reason=invalid_reason,
                question_type=question.question_type if question else None,
                question=question.question if question else None,
                questioner_answer=question.answer if question else None,
                reasoner_answers=list(vote.answers) if vote else [],
                label=vote.label if vote else None,
                majority_count=vote.majority_count if vote else 0,
                samples=vote.samples if vote else 0,
                confidence=vote.confidence if vote else 0.0,
                cluster_size=share.cluster_size,
                pool_size=share.pool_size,
                uncertainty=scored.uncertainty,
                penalty=scored.penalty,
                reward=scored.reward,
            )
            records.append(record)
            turns.append(
                ScoredTurn(
                    generated=a.generated,
                    role="questioner",
                    stage="questioner",
                    group=a.image_id,
                    reward=scored.reward,
                    policy="questioner",
                    info={
                        "question_id": a.question_id,
                        "valid": valid,
                        "confidence": record.confidence,
                        "uncertainty": scored.uncertainty,
                        "penalty": scored.penalty,
                    },
                )
            )
    return QuestionerRound(turns=turns, records=records, metrics=questioner_metrics(records))
