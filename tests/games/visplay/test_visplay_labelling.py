"""label_questions / relabel_questions with scripted players: votes, windows and drop reasons."""

from __future__ import annotations

import json

import pytest
from visplay_script import Script, question_reply, tiny_image

from zeroplay.games.protocol import Context, run_scripted
from zeroplay.games.visplay import (
    LabelledQuestion,
    VisPlayGameConfig,
    label_questions,
    labelling_metrics,
    reasoner_round,
    relabel_questions,
)

QUESTIONS = {
    "a": [
        question_reply("How many cylinders are metallic?"),
        question_reply("How many spheres are visible behind the cube?"),
        "<question>What colour is the cube?</question>",  # no <type>: invalid
    ],
    "b": [
        question_reply("How many boxes are on the top shelf?"),
        question_reply("What is the value of the second bar?", "regression"),
        question_reply("Which option is correct? A) 1 B) 2 C) 3 D) 4", "multiple choice", "B"),
    ],
}
# m = 4 labelling samples per valid question (None = no box).
ANSWERS = {
    "a/q0": ["2", "2", "3", "5"],  # c = 2/4 -> kept, label 2
    "a/q1": ["7", "7", "7", "7"],  # c = 1 -> above the window
    "b/q0": ["1", "1", "2", "3"],  # mentions a box -> dropped by the keyword rule
    "b/q1": [None, None, None, None],  # nothing voted
    "b/q2": ["A", "B", "C", "D"],  # c = 1/4 -> on the window's lower edge, kept; first wins ties
}
IMAGES = [("a", tiny_image(1)), ("b", tiny_image(2))]


def _label(cfg: VisPlayGameConfig, answers=ANSWERS) -> tuple[list[LabelledQuestion], Script]:
    script = Script(QUESTIONS, answers)
    return run_scripted(label_questions(Context(), IMAGES, cfg), script), script


def _cfg(**changes) -> VisPlayGameConfig:
    return VisPlayGameConfig(questions_per_image=3, label_samples=4, **changes)


def test_keep_and_drop_reasons_paper_window() -> None:
    labelled, script = _label(_cfg())
    by_id = {q.question_id: q for q in labelled}
    assert [q.question_id for q in labelled] == ["a/q0", "a/q1", "a/q2", "b/q0", "b/q1", "b/q2"]
    assert {k: q.drop_reason for k, q in by_id.items()} == {
        "a/q0": None,
        "a/q1": "confidence above window",
        "a/q2": "invalid question",
        "b/q0": "question mentions box or proof",
        "b/q1": "no answers",
        "b/q2": None,
    }
    assert [k for k, q in by_id.items() if q.kept] == ["a/q0", "b/q2"]
    assert (by_id["a/q0"].label, by_id["a/q0"].majority_count, by_id["a/q0"].samples) == ("2", 2, 4)
    assert by_id["a/q0"].confidence == pytest.approx(0.5)
    assert by_id["b/q2"].label == "A"
    assert by_id["b/q2"].question_type == "multiple choice"
    assert by_id["b/q2"].questioner_answer == "B"
    # The malformed reply is recorded but never labelled.
    assert by_id["a/q2"].valid is False and by_id["a/q2"].label is None
    assert "a/q2" not in [r.meta["question_id"] for r in script.sent("reasoner")]
    json.dumps([q.to_record() for q in labelled])


def test_requests_use_generation_and_labelling_settings() -> None:
    _, script = _label(_cfg())
    asked = script.sent("questioner")
    assert [r.sampling.n for r in asked] == [3, 3]
    assert asked[0].sampling.top_p == pytest.approx(0.95)
    assert asked[0].meta["phase"] == "label"
    answered = script.sent("reasoner")
    assert len(answered) == 5
    assert all(r.sampling.n == 4 for r in answered)


def test_code_window_and_none_votes() -> None:
    labelled, _ = _label(VisPlayGameConfig.code(questions_per_image=3, label_samples=4))
    by_id = {q.question_id: q for q in labelled}
    # The code lets a missing box vote as "None" and never keeps that label.
    assert by_id["b/q1"].drop_reason == "label is None"
    # c = 1/4 is below the code's window [0.3, 0.8].
    assert by_id["b/q2"].drop_reason == "confidence below window"
    assert by_id["a/q0"].kept


def test_keyword_rule_can_be_switched_off() -> None:
    labelled, _ = _label(_cfg(drop_keyword_items=False))
    by_id = {q.question_id: q for q in labelled}
    assert by_id["b/q0"].kept
    assert by_id["b/q0"].confidence == pytest.approx(0.5)


def test_label_with_text_is_dropped() -> None:
    answers = dict(ANSWERS, **{"a/q0": ["\\text{red}", "\\text{red}", "blue", "green"]})
    labelled, _ = _label(_cfg(), answers)
    assert labelled[0].drop_reason == "label contains text"


def test_relabel_keeps_ids_and_passes_invalid_through() -> None:
    labelled, _ = _label(_cfg())
    images = dict(IMAGES)
    items = [(q, images[q.image_id]) for q in labelled if q.question_id in ("a/q0", "a/q2")]
    new_answers = {"a/q0": ["4", "4", "4", "2"]}
    relabelled = run_scripted(
        relabel_questions(Context(), items, _cfg(), meta={"iteration": 3}), Script({}, new_answers)
    )
    assert [q.question_id for q in relabelled] == ["a/q0", "a/q2"]
    assert relabelled[0].label == "4"
    assert relabelled[0].confidence == pytest.approx(0.75)
    assert relabelled[0].kept
    assert relabelled[1] is items[1][0]


def test_labelling_metrics_hand_computed() -> None:
    labelled, _ = _label(_cfg())
    metrics = labelling_metrics(labelled)
    assert metrics["questions"] == 6
    assert metrics["valid_frac"] == pytest.approx(5 / 6)
    assert metrics["kept"] == 2
    assert metrics["kept_frac"] == pytest.approx(2 / 6)
    # Valid confidences: 0.5, 1.0, 0.5, 0.0, 0.25 -> mean 0.45.
    assert metrics["confidence_mean"] == pytest.approx(0.45)
    assert metrics["confidence_hist/2of4"] == 2
    assert metrics["confidence_hist/0of4"] == 1
    assert metrics["type_frac/numerical"] == pytest.approx(3 / 5)
    assert metrics["kept_type_frac/multiple choice"] == pytest.approx(0.5)
    assert metrics["dropped/invalid question"] == 1
    assert metrics["dropped/no answers"] == 1


def test_records_round_trip_through_json() -> None:
    labelled, _ = _label(_cfg())
    for q in labelled:
        assert LabelledQuestion.from_record(json.loads(json.dumps(q.to_record()))) == q


def test_kept_questions_feed_the_reasoner_round() -> None:
    labelled, _ = _label(_cfg())
    images = dict(IMAGES)
    items = [(q, images[q.image_id]) for q in labelled if q.kept]
    replies = {"a/q0": ["\\boxed{2}", "\\boxed{3}"], "b/q2": ["\\boxed{A}", "\\boxed{A}"]}
    result = run_scripted(
        reasoner_round(Context(), items, _cfg(reasoner_group_size=2)), Script({}, replies=replies)
    )
    assert [(t.group, t.reward) for t in result.turns] == [
        ("a/q0", 1.0),
        ("a/q0", 0.0),
        ("b/q2", 1.0),
        ("b/q2", 1.0),
    ]
    assert result.metrics["zero_variance_group_frac"] == pytest.approx(0.5)
