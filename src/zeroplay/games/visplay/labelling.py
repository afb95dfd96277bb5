"""Phase 2 of a VisPlay iteration: generate questions, pseudo-label them, keep the uncertain ones.

The questioner writes `questions_per_image` questions per image (its generation prompt); the
pre-update reasoner answers each valid question m = 9 times (prompt (b) in the code style); the
majority answer is the silver label and its share c the confidence. A question is kept when
c lies in [confidence_low, confidence_high] and passes the drop rules of `drop_reason`
(note §3.1). Malformed questioner replies are recorded and never labelled (note §9.2 item 11).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PIL import Image

from zeroplay.games.protocol import Context

from .asking import ImageItem, ReasonerQuery, ask_questioner, ask_reasoner, check_unique_ids
from .config import VisPlayGameConfig
from .records import LabelledQuestion
from .voting import AnswerVote, vote_on_replies

PHASE = "label"

# The code's curation drops questions mentioning a box or a proof ("证明") and labels that hold
# "text" (question_evaluate/evaluate.py, note §3.1 step 2).
_QUESTION_KEYWORDS = ("box", "证明")
_LABEL_KEYWORD = "text"
# The code's curation writes "None" for a missing box and never keeps it as a label.
_NO_ANSWER_LABEL = "None"
# Confidences are k/m; the tolerance keeps e.g. 3/10 inside a window that starts at 0.3.
_WINDOW_TOLERANCE = 1e-9


def drop_reason(question: str, vote: AnswerVote, cfg: VisPlayGameConfig) -> str | None:
    """Why a labelled question is dropped, or None when it is kept."""
    if vote.label is None:
        return "no answers"
    if not vote.label.strip():
        return "empty label"
    if vote.label.strip() == _NO_ANSWER_LABEL:
        return "label is None"
    if cfg.drop_keyword_items:
        lowered = question.lower()
        if any(word in lowered for word in _QUESTION_KEYWORDS):
            return "question mentions box or proof"
        if _LABEL_KEYWORD in vote.label.lower():  # the code lower-cases the label first
            return "label contains text"
    if cfg.non_answers == "excluded" and vote.mostly_non_answers:
        return "mostly non-answers"
    if vote.confidence < cfg.confidence_low - _WINDOW_TOLERANCE:
        return "confidence below window"
    if vote.confidence > cfg.confidence_high + _WINDOW_TOLERANCE:
        return "confidence above window"
    return None


def _vote(texts: list[str], cfg: VisPlayGameConfig) -> AnswerVote:
    # With non-answers voting (code), curation divides by the non-blank answers (note §3.1).
    return vote_on_replies(
        texts,
        drop_non_answers=cfg.drop_non_answers,
        no_merge_rule=cfg.no_merge_rule,
        timeout_s=cfg.grade_timeout_s,
        count_blank=cfg.drop_non_answers,
        exclude_non_answers=cfg.non_answers == "excluded",
    )


async def _label(
    ctx: Context,
    items: Sequence[tuple[LabelledQuestion, Image.Image]],
    cfg: VisPlayGameConfig,
    meta: Mapping[str, Any] | None,
) -> list[LabelledQuestion]:
    """Label the valid questions of `items` (invalid ones pass through unchanged), in order."""
    queries = [
        ReasonerQuery(
            question_id=q.question_id,
            image_id=q.image_id,
            question=q.question,
            question_type=q.question_type or "",
            image=image,
        )
        for q, image in items
        if q.valid and q.question is not None
    ]
    replies = await ask_reasoner(
        ctx,
        queries,
        style=cfg.prompt_style,
        use="label",
        sampling=cfg.reasoner_label_sampling.params(cfg.label_samples),
        phase=PHASE,
        extra_meta=meta,
    )
    votes = {
        query.question_id: _vote([r.text for r in samples], cfg)
        for query, samples in zip(queries, replies, strict=True)
    }
    labelled: list[LabelledQuestion] = []
    for q, _ in items:
        vote = votes.get(q.question_id)
        if vote is None or q.question is None:
            labelled.append(q)
            continue
        reason = drop_reason(q.question, vote, cfg)
        labelled.append(
            LabelledQuestion(
                question_id=q.question_id,
                image_id=q.image_id,
                sample_index=q.sample_index,
                text=q.text,
                valid=True,
                invalid_reason=None,
                question_type=q.question_type,
                question=q.question,
                questioner_answer=q.questioner_answer,
                reasoner_answers=list(vote.answers),
                label=vote.label,
                majority_count=vote.majority_count,
                samples=vote.samples,
                confidence=vote.confidence,
                kept=reason is None,
                drop_reason=reason,
            )
        )
    return labelled


async def label_questions(
    ctx: Context,
    images: Sequence[ImageItem],
    cfg: VisPlayGameConfig,
    *,
    meta: Mapping[str, Any] | None = None,
) -> list[LabelledQuestion]:
    """Generate `questions_per_image` questions per image and label them; kept ones train the
    reasoner. Returns one entry per questioner sample, image by image."""
    asked = await ask_questioner(
        ctx,
        images,
        style=cfg.prompt_style,
        use="generate",
        sampling=cfg.questioner_generate_sampling.params(cfg.questions_per_image),
        validate_type=cfg.validate_type,
        phase=PHASE,
        extra_meta=meta,
    )
    image_of = dict(images)
    candidates: list[tuple[LabelledQuestion, Image.Image]] = []
    for group in asked:
        for a in group:
            question = a.parsed.value if a.parsed.ok else None
            candidates.append(
                (
                    LabelledQuestion(
                        question_id=a.question_id,
                        image_id=a.image_id,
                        sample_index=a.sample_index,
                        text=a.generated.text,
                        valid=question is not None,
                        invalid_reason=a.parsed.reason,
                        question_type=question.question_type if question else None,
                        question=question.question if question else None,
                        questioner_answer=question.answer if question else None,
                        drop_reason=None if question else "invalid question",
                    ),
                    image_of[a.image_id],
                )
            )
    return await _label(ctx, candidates, cfg, meta)


async def relabel_questions(
    ctx: Context,
    items: Sequence[tuple[LabelledQuestion, Image.Image]],
    cfg: VisPlayGameConfig,
    *,
    meta: Mapping[str, Any] | None = None,
) -> list[LabelledQuestion]:
    """Label already generated questions again with the current reasoner (e.g. last iteration's
    kept set, for `silver_label_agreement`). Invalid questions come back unchanged."""
    ids = [q.question_id for q, _ in items]
    check_unique_ids(ids)
    return await _label(ctx, items, cfg, meta)
