"""Majority voting over sampled answers, as VisPlay's and MM-Zero's solver scoring does it.

Greedy clustering (visplay.md §2.3, mm_zero.md §4.4): each counted answer, in order, joins the
first existing cluster whose representative (its first-seen answer) it matches, else it starts a
new cluster. A match is string equality or two-way `grade_answer` equivalence; optionally also
the code's "both contain 'no '" rule and MM-Zero's loose text equality. The label is the largest
cluster's representative; on a tie the cluster created first wins (the code's `max` over an
insertion-ordered dict). Confidence is the label's cluster size over the counted answers.

Non-answers are None, empty/blank strings and the texts in `non_answer_texts` (default "None",
what MathRuler's `extract_boxed_content` returns when there is no box), compared after strip and
case-insensitively. By default they are dropped, as MM-Zero's reward service does. With
`drop_non_answers=False` (VisPlay's code, and MM-Zero's offline labelling) they count in the
denominator; None and non-answer texts also vote (None votes as the string "None"), while blank
strings never join a cluster (the code skips them). VisPlay's curation divides by the non-blank
answers only: drop blank strings before calling to reproduce that.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from zeroplay.answers.grading import AnswerGrader, default_grader

DEFAULT_NON_ANSWER_TEXTS = frozenset({"none"})
# MM-Zero's reward service also ignores these (mm_zero.md §4.4).
MM_ZERO_NON_ANSWER_TEXTS = frozenset({"none", "n/a", "na", "null", "unknown", "-"})
# MathRuler's stand-in for "no boxed answer".
NO_ANSWER_TEXT = "None"
# MM-Zero's loose equality compares at most this many characters (mm_zero.md §4.4).
_LOOSE_MATCH_CHARS = 120


@dataclass(frozen=True)
class Vote:
    """Outcome of a majority vote; `clusters` hold indices into the voted answers."""

    label: str | None  # the largest cluster's representative; None when nothing voted
    confidence: float  # largest cluster size / counted; 0.0 when nothing was counted
    clusters: list[list[int]]  # in order of creation, each in input order
    counted: int  # the denominator of `confidence`

    @property
    def majority_size(self) -> int:
        """Number of answers in the winning cluster."""
        return max((len(cluster) for cluster in self.clusters), default=0)


def _is_non_answer_text(text: str, non_answer_texts: Collection[str]) -> bool:
    stripped = text.strip()
    return not stripped or stripped.lower() in non_answer_texts


def _loose(text: str) -> str:
    """MM-Zero's `normalize_for_majority`: collapse whitespace, lower-case, truncate."""
    return " ".join(text.strip().lower().split())[:_LOOSE_MATCH_CHARS]


def _cheap_match(answer: str, representative: str, no_merge_rule: bool, loose: bool) -> bool:
    if answer == representative:
        return True
    if loose and _loose(answer) == _loose(representative):
        return True
    # The code's heuristic (visplay.md §9.2 item 6): any two answers containing "no " merge.
    return no_merge_rule and "no " in answer.lower() and "no " in representative.lower()


def _votes(
    answers: Sequence[str | None], drop_non_answers: bool, non_answer_texts: Collection[str]
) -> tuple[list[tuple[int, str]], int]:
    """(index, text) of the answers that vote, and how many answers are counted."""
    voting: list[tuple[int, str]] = []
    counted = 0
    for index, answer in enumerate(answers):
        text = NO_ANSWER_TEXT if answer is None else answer
        non_answer = answer is None or _is_non_answer_text(text, non_answer_texts)
        if drop_non_answers and non_answer:
            continue
        counted += 1
        if text.strip():  # blank answers are counted but never vote
            voting.append((index, text))
    return voting, counted


def majority_vote(
    answers: Sequence[str | None],
    *,
    drop_non_answers: bool = True,
    no_merge_rule: bool = False,
    timeout_s: float = 5.0,
    non_answer_texts: Collection[str] = DEFAULT_NON_ANSWER_TEXTS,
    loose_text_match: bool = False,
    grader: AnswerGrader | None = None,
) -> Vote:
    """Cluster `answers` greedily and return the majority label and its share (module doc).

    `non_answer_texts` must be lower-case. `loose_text_match` adds MM-Zero's whitespace- and
    case-insensitive equality of the first 120 characters. `grader` defaults to the process's
    shared MathRuler grader; `timeout_s` bounds each grading direction.
    """
    grader = grader or default_grader()
    voting, counted = _votes(answers, drop_non_answers, non_answer_texts)
    representatives: list[str] = []
    clusters: list[list[int]] = []
    for index, text in voting:
        for cluster, representative in zip(clusters, representatives, strict=True):
            if _cheap_match(
                text, representative, no_merge_rule, loose_text_match
            ) or grader.equivalent(text, representative, timeout_s=timeout_s):
                cluster.append(index)
                break
        else:
            clusters.append([index])
            representatives.append(text)
    if not clusters:
        return Vote(label=None, confidence=0.0, clusters=[], counted=counted)
    # max() keeps the first of equal sizes: the earliest-created cluster wins a tie.
    winner = max(range(len(clusters)), key=lambda k: len(clusters[k]))
    return Vote(
        label=representatives[winner],
        confidence=len(clusters[winner]) / counted,
        clusters=clusters,
        counted=counted,
    )


def share_matching(
    answers: Sequence[str | None],
    target: str,
    *,
    drop_non_answers: bool = True,
    timeout_s: float = 5.0,
    non_answer_texts: Collection[str] = DEFAULT_NON_ANSWER_TEXTS,
    grader: AnswerGrader | None = None,
) -> float:
    """Fraction of the counted answers two-way equivalent to `target` (MM-Zero's solvability).

    MM-Zero's code counts every sampled answer, boxed or not (`drop_non_answers=False`,
    mm_zero.md §4.1 step 4), and never matches a blank answer or a blank target. Counting follows
    `majority_vote`; 0.0 when nothing is counted.
    """
    grader = grader or default_grader()
    voting, counted = _votes(answers, drop_non_answers, non_answer_texts)
    if counted == 0 or not target.strip():
        return 0.0
    matches = sum(grader.equivalent(text, target, timeout_s=timeout_s) for _, text in voting)
    return matches / counted
