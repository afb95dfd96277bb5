"""The pseudo-labelling primitive: extract m boxed answers, vote, and measure confidence.

Paper (Eq. 4-5): silver = argmax_y p_hat(y), c = p_hat(silver) = count(silver) / m. By default
(`drop_non_answers`) a missing box never votes, so it can never become the label, but it still
counts among the m samples. The code (`drop_non_answers=False`) lets a missing box vote as the
string "None" (note §2.3). Its curation step divides by the non-blank answers only (note §3.1
step 2), so `count_blank=False` removes empty boxes before voting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zeroplay.answers.boxed import all_boxed
from zeroplay.answers.majority import majority_vote


@dataclass(frozen=True)
class AnswerVote:
    """Extracted answers (None = no box), the majority label, its count and the confidence."""

    answers: list[str | None]
    label: str | None
    majority_count: int
    samples: int
    confidence: float


def extract_answers(texts: Sequence[str]) -> list[str | None]:
    """The stripped last boxed answer of each reply: None where there is no complete box, ""
    for an empty box (MathRuler's "None" and "", which the code's votes treat differently)."""
    answers: list[str | None] = []
    for text in texts:
        boxes = all_boxed(text)
        answers.append(boxes[-1].strip() if boxes else None)
    return answers


def vote_on_replies(
    texts: Sequence[str],
    *,
    drop_non_answers: bool,
    no_merge_rule: bool,
    timeout_s: float,
    count_blank: bool = True,
) -> AnswerVote:
    """Vote over reasoner replies; confidence = majority count / samples (see module docstring)."""
    answers = extract_answers(texts)
    if not count_blank:
        answers = [a for a in answers if a is None or a.strip()]
    vote = majority_vote(
        answers,
        drop_non_answers=drop_non_answers,
        no_merge_rule=no_merge_rule,
        timeout_s=timeout_s,
    )
    samples = len(answers)
    count = vote.majority_size
    return AnswerVote(
        answers=answers,
        label=vote.label,
        majority_count=count,
        samples=samples,
        confidence=count / samples if samples else 0.0,
    )
