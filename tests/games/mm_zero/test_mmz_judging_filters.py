"""Judge scoring, label votes and the two training-set filters, hand-computed."""

from dataclasses import replace

import pytest

from zeroplay.games.mm_zero.config import MMZeroGameConfig
from zeroplay.games.mm_zero.filters import render_rate_drop_reason, solver_item_drop_reason
from zeroplay.games.mm_zero.judging import boxed_answers, judge_image, label_vote

CFG = MMZeroGameConfig()
CODE = MMZeroGameConfig.code()


def box(answer: str) -> str:
    return f"<think>...</think>\\boxed{{{answer}}}"


def test_boxed_answers_take_the_last_box():
    assert boxed_answers(["\\boxed{1} then \\boxed{2}", "none here", "\\boxed{}"]) == [
        "2",
        None,
        "",
    ]


def test_judge_counts_all_samples_for_solvability_and_valid_ones_for_consistency():
    easy = [box("Delta"), box("delta"), box("Gamma"), "no box", box("N/A")]
    hard = [box("2"), box("2.0"), box("3"), box("unknown"), "no box"]
    judged = judge_image(easy, hard, "Delta", CFG)
    # solvability: 2 of all 5 samples match "Delta" (case-insensitive grading).
    assert judged.solvability == pytest.approx(2 / 5)
    # consistency: "unknown" and the missing box are dropped; 2 of the 3 valid agree.
    assert judged.consistency == pytest.approx(2 / 3)
    assert judged.difficulty == pytest.approx(1 / 3)
    assert judged.hard_majority == "2"


def test_judge_with_no_valid_answer_scores_zero():
    judged = judge_image(["x"] * 5, ["y"] * 5, "42", CFG)
    assert (judged.solvability, judged.consistency, judged.difficulty) == (0.0, 0.0, 0.0)


def test_loose_text_equality_merges_spacing_and_case():
    judged = judge_image([], [box("Main  Street"), box("main street"), box("Elm")], "x", CFG)
    assert judged.consistency == pytest.approx(2 / 3)


def test_label_vote_default_drops_missing_boxes_code_counts_them():
    answers = ["2"] * 5 + ["3"] * 3 + [None, None]
    default = label_vote(answers, CFG)
    assert (default.label, default.confidence) == ("2", pytest.approx(5 / 8))
    code = label_vote(answers, CODE)
    assert (code.label, code.confidence) == ("2", pytest.approx(5 / 10))
    # The code drops empty boxes before voting, and 'None' can win the vote.
    assert label_vote(["", "", None, None, None, "4"], CODE).label == "None"


def test_no_merge_rule_only_in_code_mode():
    answers = ["no change", "no idea", "yes"]
    assert label_vote(answers, CFG).confidence == pytest.approx(1 / 3)
    assert label_vote(answers, CODE).confidence == pytest.approx(2 / 3)


def test_render_rate_window():
    assert render_rate_drop_reason(0.25, CFG) is None
    assert render_rate_drop_reason(0.75, CFG) is None
    assert render_rate_drop_reason(0.0, CFG) == "render rate 0 below 0.25"
    assert render_rate_drop_reason(1.0, CFG) == "render rate 1 above 0.75"
    assert render_rate_drop_reason(1.0, replace(CFG, codegen_render_filter=False)) is None


def test_solver_item_filter():
    assert solver_item_drop_reason("2", 0.5, 0.25, CFG) is None
    assert solver_item_drop_reason("2", 1.0, 0.75, CFG) is None
    assert solver_item_drop_reason("None", 1.0, 0.5, CFG) == "no majority label"
    assert solver_item_drop_reason(" ", 1.0, 0.5, CFG) == "no majority label"
    assert solver_item_drop_reason(None, 1.0, 0.5, CFG) == "no majority label"
    assert solver_item_drop_reason("2", 0.4, 0.5, CFG) == "easy consistency 0.4 below 0.5"
    assert (
        solver_item_drop_reason("2", 0.9, 0.8, CFG) == "hard consistency 0.8 outside [0.25, 0.75]"
    )
    assert (
        solver_item_drop_reason("2", 0.9, 0.2, CFG) == "hard consistency 0.2 outside [0.25, 0.75]"
    )


def test_config_validation():
    with pytest.raises(ValueError):
        MMZeroGameConfig(render_rate_window=(0.8, 0.2))
    with pytest.raises(ValueError):
        MMZeroGameConfig(codegen_judge="someone")  # type: ignore[arg-type]
    assert CODE.no_merge_rule and CODE.label_counts_missing_boxes
    assert CFG.codegen_judge == "codegen_init" and CFG.solver_init == "continue"
    assert (CFG.codegen_scoring.n, CFG.judge.n, CFG.labelling.n, CFG.solver_rollout.n) == (
        4,
        5,
        10,
        8,
    )
