"""The pseudo-labelling primitive: extract m boxed answers, vote, and measure confidence.

Paper (Eq. 4-5): silver = argmax_y p_hat(y), c = p_hat(silver) = count(silver) / m. By default
(`drop_non_answers`) a missing box never votes, so it can never become the label, but it still
counts among the m samples. The code (`drop_non_answers=False`) lets a missing box vote as the
string "None" (note §2.3). Its curation step divides by the non-blank answers only (note §3.1
step 2), so `count_blank=False` removes empty boxes before voting. With
`exclude_non_answers` (the `non_answers: excluded` switch) c = count / answered replies instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zeroplay.answers.boxed import all_boxed
from zeroplay.answers.majority import DEFAULT_NON_ANSWER_TEXTS, majority_vote


@dataclass(frozen=True)
class AnswerVote:
    """Extracted answers (None = no box), the majority label, its count and the confidence."""

    answers: list[str | None]
    label: str | None
    majority_count: int
    samples: int
    confidence: float
    answered: int  # replies with an answer (not None, blank or "None")

    @property
    def non_answer_share(self) -> float:
        """Share of the replies that gave no answer (0.0 when there are none)."""
        return 1.0 - self.answered / self.samples if self.samples else 0.0

    @property
    def mostly_non_answers(self) -> bool:
        """More than half of the replies gave no answer."""
        return 2 * self.answered < self.samples


def is_non_answer(answer: str | None) -> bool:
    """No box, an empty box, or MathRuler's "None" stand-in (any case)."""
    return answer is None or answer.strip().lower() in ("", *DEFAULT_NON_ANSWER_TEXTS)


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
    exclude_non_answers: bool = False,
) -> AnswerVote:
    """Vote over reasoner replies; confidence = majority count / samples, or / answered replies
    with `exclude_non_answers` (see module docstring)."""
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
    answered = sum(not is_non_answer(a) for a in answers)
    count = vote.majority_size
    denominator = answered if exclude_non_answers else samples
    return AnswerVote(
        answers=answers,
        label=vote.label,
        majority_count=count,
        samples=samples,
        confidence=count / denominator if denominator else 0.0,
        answered=answered,
    )
