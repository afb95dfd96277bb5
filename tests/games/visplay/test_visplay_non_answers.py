"""How non-answers count (`non_answers`), the label keyword rule's case, and type validation."""

from __future__ import annotations

import pytest
from visplay_script import Script, question_reply, tiny_image

from zeroplay.games.protocol import Context, run_scripted
from zeroplay.games.visplay import VisPlayGameConfig, questioner_round
from zeroplay.games.visplay.labelling import drop_reason
from zeroplay.games.visplay.parsing import parse_question
from zeroplay.games.visplay.voting import vote_on_replies

CUBES = "How many red cubes are to the left of the large grey sphere?"
BAR = "What is the height of the tallest bar in the chart?"


def _vote(answers: list[str | None], cfg: VisPlayGameConfig):
    texts = [f"so \\boxed{{{a}}}" if a is not None else "I cannot tell." for a in answers]
    return vote_on_replies(
        texts,
        drop_non_answers=cfg.drop_non_answers,
        no_merge_rule=cfg.no_merge_rule,
        timeout_s=cfg.grade_timeout_s,
        exclude_non_answers=cfg.non_answers == "excluded",
    )


def _play(cfg: VisPlayGameConfig, answers: dict[str, list[str | None]]):
    questions = {"a": [question_reply(CUBES), question_reply(BAR)]}
    images = [("a", tiny_image(0))]
    return run_scripted(questioner_round(Context(), images, cfg), Script(questions, answers))


def test_counted_non_answers_make_a_question_look_uncertain_excluded_ones_do_not():
    # 5 unboxed + 5 agreeing replies: the hacking path of note §2.3.
    answers = {"a/q0": [None] * 5 + ["3"] * 5, "a/q1": [None] * 6 + ["7"] * 4}
    counted = VisPlayGameConfig(questioner_group_size=2, reward_samples=10)
    records = {r.question_id: r for r in _play(counted, answers).records}
    # c = 5/10 -> r_unc = 1; own cluster of 1 among 2 questions -> share 0.5; reward 0.5.
    assert records["a/q0"].confidence == pytest.approx(0.5)
    assert records["a/q0"].reward == pytest.approx(0.5)
    excluded = counted.with_(non_answers="excluded")
    result = _play(excluded, answers)
    records = {r.question_id: r for r in result.records}
    # Over the answered replies c = 5/5: certain, so the paper reward is ReLU(0 - 0.5) = 0.
    assert records["a/q0"].valid and records["a/q0"].confidence == pytest.approx(1.0)
    assert records["a/q0"].reward == 0.0
    # 6 of 10 unanswered: mostly non-answers, invalid.
    assert not records["a/q1"].valid and records["a/q1"].invalid_reason == "mostly non-answers"
    assert result.metrics["non_answer_frac"] == pytest.approx(11 / 20)
    assert result.metrics["invalid/mostly non-answers"] == 1.0
    code = VisPlayGameConfig.code(questioner_group_size=2, reward_samples=10)
    invalid = {
        r.question_id: r
        for r in _play(code.with_(drop_non_answers=True, non_answers="excluded"), answers).records
    }
    assert invalid["a/q1"].reward == pytest.approx(-1.0 - 0.5)  # the code's invalid reward


def test_excluded_non_answers_in_curation():
    cfg = VisPlayGameConfig(non_answers="excluded", confidence_low=0.25, confidence_high=0.75)
    vote = _vote([None, "None", "", "4", "4", "5", "6", "7", "8"], cfg)
    assert vote.answered == 6 and vote.confidence == pytest.approx(2 / 6)
    assert vote.non_answer_share == pytest.approx(3 / 9)
    assert drop_reason(CUBES, vote, cfg) is None
    mostly = _vote([None] * 5 + ["4"] * 4, cfg)
    assert drop_reason(CUBES, mostly, cfg) == "mostly non-answers"
    counted = _vote([None] * 5 + ["4"] * 4, cfg.with_(non_answers="counted"))
    assert counted.confidence == pytest.approx(4 / 9)
    assert drop_reason(CUBES, counted, cfg.with_(non_answers="counted")) is None


def test_excluded_needs_non_answers_that_do_not_vote():
    with pytest.raises(ValueError, match="needs drop_non_answers"):
        VisPlayGameConfig(non_answers="excluded", drop_non_answers=False)


@pytest.mark.parametrize("label", ["text", "Text", "TEXT", "plain Text here"])
def test_text_labels_are_dropped_in_any_case(label):
    cfg = VisPlayGameConfig()
    vote = _vote([label] * 4 + ["x", "y", "z", "w", "v"], cfg)
    assert drop_reason(CUBES, vote, cfg) == "label contains text"


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("multiple choice (Yes/No)", "multiple choice"),
        ("Multiple choice (A-D)", "multiple choice"),
        ("Regression (continuous value)", "regression"),
        ("Numerical", "numerical"),
    ],
)
def test_types_with_a_gloss_are_recognised_in_both_modes(raw, normalised):
    for strict in (False, True):
        parsed = parse_question(question_reply(CUBES, raw), validate_type=strict)
        assert parsed.ok and parsed.value.question_type == normalised


def test_unknown_types_pass_by_default_and_fail_when_strict():
    reply = question_reply(CUBES, "essay")
    assert parse_question(reply).value.question_type == "essay"  # as the released code
    assert parse_question(reply, validate_type=True).reason == "unknown question type"
