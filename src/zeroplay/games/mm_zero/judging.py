"""The Solver as a judge: boxed answers, majority votes, consistency and solvability.

Reward scoring (note §4.4): drop non-answers (no box, empty, none, n/a, ...), cluster greedily by
equality, loose text equality (whitespace-collapsed, lower-cased, first 120 characters) and
two-way `grade_answer`; consistency c = largest cluster / valid answers (0 when none).
Solvability = share of *all* k samples equivalent to the Proposer's easy answer (§4.1 step 4).
Labelling (§4.6b) uses the same vote by default; `label_counts_missing_boxes` restores the code's
offline vote, which keeps missing boxes as the answer 'None', drops empty boxes, and has no loose
equality step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zeroplay.answers.boxed import all_boxed, last_boxed
from zeroplay.answers.majority import MM_ZERO_NON_ANSWER_TEXTS, Vote, majority_vote, share_matching
from zeroplay.games.mm_zero.config import MMZeroGameConfig


def boxed_answers(texts: Sequence[str]) -> list[str | None]:
    """The last `\\boxed{}` of each reply: None where there is none, "" for an empty last box
    (the code's extractor gives "" there, which its offline vote drops rather than counts).
    """
    answers: list[str | None] = []
    for text in texts:
        found = last_boxed(text)
        if found.ok:
            answers.append(found.value)
        else:
            answers.append("" if all_boxed(text) else None)
    return answers


def reward_vote(answers: Sequence[str | None], config: MMZeroGameConfig) -> Vote:
    """The judge's vote inside the Proposer and CodeGen rewards (non-answers dropped)."""
    return majority_vote(
        answers,
        drop_non_answers=True,
        no_merge_rule=config.no_merge_rule,
        timeout_s=config.grade_timeout_s,
        non_answer_texts=MM_ZERO_NON_ANSWER_TEXTS,
        loose_text_match=True,
    )


def label_vote(answers: Sequence[str | None], config: MMZeroGameConfig) -> Vote:
    """The pseudo-labelling vote for Solver training data."""
    if not config.label_counts_missing_boxes:
        return reward_vote(answers, config)
    kept = [a for a in answers if a is None or a.strip()]
    return majority_vote(
        kept,
        drop_non_answers=False,
        no_merge_rule=config.no_merge_rule,
        timeout_s=config.grade_timeout_s,
    )


def solvability(answers: Sequence[str | None], easy_answer: str, config: MMZeroGameConfig) -> float:
    """Share of all sampled answers two-way equivalent to the Proposer's easy answer."""
    return share_matching(
        answers, easy_answer, drop_non_answers=False, timeout_s=config.grade_timeout_s
    )


@dataclass(frozen=True)
class Judgement:
    """What the judge made of one rendered image: its answers and the two scores."""

    easy_answers: list[str | None]
    hard_answers: list[str | None]
    solvability: float
    consistency: float
    hard_majority: str | None

    @property
    def difficulty(self) -> float:
        """min(c, 1 - c): 0.5 when the judge splits evenly, 0 when it always agrees."""
        return min(self.consistency, 1.0 - self.consistency)


def judge_image(
    easy_replies: Sequence[str],
    hard_replies: Sequence[str],
    easy_answer: str,
    config: MMZeroGameConfig,
) -> Judgement:
    """Score one image from the judge's replies to its easy and hard questions."""
    easy = boxed_answers(easy_replies)
    hard = boxed_answers(hard_replies)
    vote = reward_vote(hard, config)
    return Judgement(
        easy_answers=easy,
        hard_answers=hard,
        solvability=solvability(easy, easy_answer, config),
        consistency=vote.confidence,
        hard_majority=vote.label,
    )
