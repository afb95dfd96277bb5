"""Majority votes and solvability shares, with hand-counted expectations."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from zeroplay.answers.majority import MM_ZERO_NON_ANSWER_TEXTS, Vote, majority_vote, share_matching


def test_equivalent_answers_share_a_cluster() -> None:
    vote = majority_vote(["0.5", "7", "1/2", "\\frac{1}{2}", "7", "50%"])
    # "0.5" (rep) absorbs "1/2" and "\frac{1}{2}"; "50%" means 50, not 0.5.
    assert vote == Vote(label="0.5", confidence=3 / 6, clusters=[[0, 2, 3], [1, 4], [5]], counted=6)
    assert vote.majority_size == 3


def test_tie_goes_to_the_cluster_created_first() -> None:
    vote = majority_vote(["B", "A", "A", "b"])
    assert vote.label == "B"
    assert vote.clusters == [[0, 3], [1, 2]]
    assert vote.confidence == 0.5


def test_non_answers_are_dropped_by_default() -> None:
    vote = majority_vote([None, "None", "  ", "", "4", "4.0", "5"])
    assert vote == Vote(label="4", confidence=2 / 3, clusters=[[4, 5], [6]], counted=3)


def test_code_faithful_counting_keeps_non_answers() -> None:
    # VisPlay's server: "None" votes, empty boxes count in the denominator only.
    vote = majority_vote([None, "None", "", "4", "None"], drop_non_answers=False)
    assert vote == Vote(label="None", confidence=3 / 5, clusters=[[0, 1, 4], [3]], counted=5)


def test_nothing_counted() -> None:
    assert majority_vote([]) == Vote(label=None, confidence=0.0, clusters=[], counted=0)
    assert majority_vote([None, "none"]) == Vote(None, 0.0, [], 0)
    only_blank = majority_vote(["", " "], drop_non_answers=False)
    assert only_blank == Vote(label=None, confidence=0.0, clusters=[], counted=2)


def test_no_merge_rule_is_opt_in() -> None:
    answers = ["no change", "No data", "no change"]
    assert majority_vote(answers).clusters == [[0, 2], [1]]
    merged = majority_vote(answers, no_merge_rule=True)
    assert merged.clusters == [[0, 1, 2]]
    assert merged.confidence == 1.0


def test_mm_zero_options() -> None:
    answers = ["N/A", "Red  Car", "red car", "unknown", "blue car"]
    vote = majority_vote(answers, non_answer_texts=MM_ZERO_NON_ANSWER_TEXTS, loose_text_match=True)
    assert vote == Vote(label="Red  Car", confidence=2 / 3, clusters=[[1, 2], [4]], counted=3)
    # MathRuler alone already folds case and spaces; the loose match adds 120-char truncation.
    assert majority_vote(answers[1:3]).clusters == [[0, 1]]
    long_answers = ["w " * 70 + "x", "w " * 70 + "y"]
    assert majority_vote(long_answers).clusters == [[0], [1]]
    assert majority_vote(long_answers, loose_text_match=True).clusters == [[0, 1]]


def test_share_matching() -> None:
    answers = ["0.5", "1/2", None, "3", "None"]
    assert share_matching(answers, "\\frac{1}{2}") == 2 / 3
    assert share_matching(answers, "\\frac{1}{2}", drop_non_answers=False) == 2 / 5
    assert share_matching(answers, "") == 0.0
    assert share_matching([None], "1") == 0.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=8), st.sampled_from(["1", "1.0", "A"]))))
def test_vote_invariants(answers: list[str | None]) -> None:
    for drop in (True, False):
        vote = majority_vote(answers, drop_non_answers=drop, no_merge_rule=True, timeout_s=2.0)
        members = sorted(i for cluster in vote.clusters for i in cluster)
        assert len(members) == len(set(members)) <= vote.counted <= len(answers)
        if vote.clusters:
            assert vote.confidence == vote.majority_size / vote.counted
        else:
            assert (vote.label, vote.confidence) == (None, 0.0)
