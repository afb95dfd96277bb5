"""Voting over reasoner replies and the cluster shares of questions."""

from __future__ import annotations

import pytest

from zeroplay.games.visplay import vote_on_replies
from zeroplay.games.visplay.redundancy import cluster_shares
from zeroplay.games.visplay.voting import extract_answers

REPLIES = ["\\boxed{3}", "so \\boxed{3}", "\\boxed{4}", "no box", "\\boxed{}", "\\boxed{ 3.0 }"]


def test_extract_answers_distinguishes_no_box_and_empty_box() -> None:
    assert extract_answers(REPLIES) == ["3", "3", "4", None, "", "3.0"]


def _vote(**kw):
    settings = {"drop_non_answers": True, "no_merge_rule": False, "timeout_s": 5.0}
    settings.update(kw)
    return vote_on_replies(REPLIES, **settings)


def test_default_non_answers_never_vote_but_count_among_the_samples() -> None:
    vote = _vote()
    # 3, 3, 3.0 agree -> 3 of 6 samples.
    assert (vote.label, vote.majority_count, vote.samples) == ("3", 3, 6)
    assert vote.confidence == pytest.approx(0.5)


def test_code_votes_none_and_can_drop_blank_answers() -> None:
    reward_vote = _vote(drop_non_answers=False)  # reward server: every sample counts
    assert (reward_vote.majority_count, reward_vote.samples) == (3, 6)
    curation_vote = _vote(drop_non_answers=False, count_blank=False)  # curation: non-blank only
    assert (curation_vote.majority_count, curation_vote.samples) == (3, 5)
    assert curation_vote.confidence == pytest.approx(3 / 5)


def test_missing_boxes_win_only_when_they_vote() -> None:
    replies = ["none here", "nothing", "\\boxed{2}"]
    kept = vote_on_replies(replies, drop_non_answers=False, no_merge_rule=False, timeout_s=5.0)
    assert (kept.label, kept.confidence) == ("None", pytest.approx(2 / 3))
    dropped = vote_on_replies(replies, drop_non_answers=True, no_merge_rule=False, timeout_s=5.0)
    assert (dropped.label, dropped.confidence) == ("2", pytest.approx(1 / 3))


def test_no_replies_gives_zero_confidence() -> None:
    vote = vote_on_replies([], drop_non_answers=True, no_merge_rule=False, timeout_s=5.0)
    assert (vote.label, vote.samples, vote.confidence) == (None, 0, 0.0)


SAME = "How many red cubes are to the left of the large grey sphere?"
OTHER = "What is the height of the tallest bar in the chart, in centimetres?"


def test_cluster_shares_per_image_and_per_batch() -> None:
    groups = [[SAME, SAME, OTHER, ""], [SAME, ""]]
    per_image = cluster_shares(groups, "image", 0.5)
    assert [[(s.cluster_size, s.pool_size) for s in g] for g in per_image] == [
        [(2, 4), (2, 4), (1, 4), (1, 4)],
        [(1, 2), (1, 2)],
    ]
    per_batch = cluster_shares(groups, "batch", 0.5)
    assert [[(s.cluster_size, s.pool_size) for s in g] for g in per_batch] == [
        [(3, 6), (3, 6), (1, 6), (1, 6)],
        [(3, 6), (1, 6)],
    ]
    assert per_batch[0][0].share == pytest.approx(0.5)


def test_empty_texts_never_cluster_together() -> None:
    shares = cluster_shares([["", "", ""]], "image", 0.5)[0]
    assert [s.cluster_size for s in shares] == [1, 1, 1]
