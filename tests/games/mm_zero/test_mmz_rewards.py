"""Reward formulas against hand-computed values (note §4.1-4.3)."""

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeroplay.answers.tags import collapse_tag_spacing
from zeroplay.games.mm_zero.config import MMZeroGameConfig
from zeroplay.games.mm_zero.diversity import content_type_penalties, text_diversity_penalties
from zeroplay.games.mm_zero.rewards import (
    SvgOutcome,
    codegen_reward,
    has_solver_format,
    proposal_quality,
    solver_reward,
)

CFG = MMZeroGameConfig()


def test_proposal_quality_caps_solvability_and_divides_by_all_codes():
    outcomes = [
        SvgOutcome(True, solvability=0.8, consistency=0.6),  # 0.5 + 0.4
        SvgOutcome(True, solvability=0.2, consistency=0.9),  # 0.2 + 0.1
        SvgOutcome(False),
        SvgOutcome(False),
    ]
    quality = proposal_quality(outcomes, CFG)
    assert quality.base == pytest.approx((0.9 + 0.3) / 4)
    assert quality.avg_difficulty == pytest.approx(0.25)
    assert quality.avg_solvability == pytest.approx(0.5)
    assert quality.easy_hard_penalty == 0.0
    assert (quality.num_rendered, quality.num_codes) == (2, 4)
    assert quality.total == pytest.approx(0.3)


def test_easy_hard_penalty_below_threshold_and_when_nothing_renders():
    easy = proposal_quality([SvgOutcome(True, 1.0, 0.9), SvgOutcome(True, 1.0, 0.95)], CFG)
    # difficulties 0.1 and 0.05: mean 0.075 < 0.15 -> -0.3; base = (0.6 + 0.55) / 2.
    assert easy.easy_hard_penalty == -0.3
    assert easy.total == pytest.approx(0.575 - 0.3)
    nothing = proposal_quality([SvgOutcome(False)] * 4, CFG)
    assert (nothing.base, nothing.easy_hard_penalty) == (0.0, -0.3)
    assert proposal_quality([], CFG).total == -0.3


def test_codegen_reward_cases():
    judged = SvgOutcome(True, solvability=0.8, consistency=0.6)
    assert codegen_reward("<svg/>", judged, CFG).reward == pytest.approx(1 + 0.8 + 0.4)
    assert codegen_reward("<svg><rect></svg>", SvgOutcome(False), CFG).reward == pytest.approx(-0.1)
    assert codegen_reward("", SvgOutcome(False), CFG).reward == -0.5  # -(0.1+0.05+0.5) floored
    assert codegen_reward("hello", SvgOutcome(False), CFG).reward == -0.5  # -0.6 floored
    score = codegen_reward("hello", SvgOutcome(False), CFG)
    assert (score.rendered, score.svg_like, score.solvability) == (False, False, 0.0)
    lenient = replace(CFG, codegen_penalty_floor=-1.0)
    assert codegen_reward("", SvgOutcome(False), lenient).reward == pytest.approx(-0.65)


def test_solver_reward_weights_accuracy_and_format():
    good = solver_reward("<think>3 + 3</think>\\boxed{6}", "6", CFG)
    assert (good.reward, good.accuracy, good.format, good.answer) == (1.0, 1.0, 1.0, "6")
    assert solver_reward("The answer is \\boxed{6}", "6", CFG).reward == pytest.approx(0.9)
    assert solver_reward("<think>x</think>\\boxed{7}", "6", CFG).reward == pytest.approx(0.1)
    assert solver_reward("no box at all", "6", CFG).reward == 0.0
    assert solver_reward("<think>.</think> \\boxed{50\\%}", "50", CFG).accuracy == 1.0


def test_format_check_cases():
    assert has_solver_format("<think>a</think>\\boxed{1}")
    assert has_solver_format("  < think >a</ think >\n\n\\boxed{x} \n")
    assert has_solver_format("<think></think>\\boxed{}")
    assert not has_solver_format("<think>a</think>\\boxed{1} trailing text")
    assert not has_solver_format("preamble <think>a</think>\\boxed{1}")
    assert not has_solver_format("<think>a\\boxed{1}")
    assert not has_solver_format("<think>a</think>text\\boxed{1}")


def reference_format(text: str) -> bool:
    pattern = r"<think>.*?</think>\s*\\boxed\{.*?\}\s*$"
    return re.fullmatch(pattern, collapse_tag_spacing(text), re.DOTALL) is not None


_pieces = st.sampled_from(
    ["<think>", "</think>", "\\boxed{", "}", "{", " ", "\n", "a", "<", ">", "/", "\u2003"]
)


@settings(max_examples=800, deadline=None)
@given(st.lists(_pieces, max_size=20))
def test_format_check_matches_the_reference_regex(pieces):
    text = "".join(pieces)
    assert has_solver_format(text) == reference_format(text)


LONG_A = "a grouped bar chart of monthly rainfall in five coastal towns with a legend"
LONG_B = "an organisation chart of a hospital with three levels and twelve named roles"
LONG_C = "a floor plan of a museum wing showing seven rooms and the visitor route"


def test_text_diversity_penalty_hand_computed():
    captions = [LONG_A, LONG_A, LONG_B]
    easy = [
        "which town is wettest in july",
        "how many towns are drawn here",
        "who reports to the chief nurse",
    ]
    hard = [
        "what is the ratio of rain in x to y",
        "by how much does april exceed march",
        "how many roles sit on level two",
    ]
    penalties = text_diversity_penalties(captions, easy, hard, CFG)
    # caption clusters sizes 2, 2, 1: 0.5 * 0.45 * (2 - 1) for the duplicates, 0 for the rest.
    assert penalties == pytest.approx([0.225, 0.225, 0.0])


def test_text_diversity_penalty_is_clipped_to_the_budget():
    same = [LONG_A, LONG_A, LONG_A]
    questions = ["which town is the wettest one of all"] * 3
    # 0.5 * (0.45 + 0.20 + 0.35) * (3 - 1) = 1.0 -> clipped to 0.5
    assert text_diversity_penalties(same, questions, questions, CFG) == pytest.approx([0.5] * 3)
    assert text_diversity_penalties([LONG_C], ["q one two three"], ["q four five six"], CFG) == [
        0.0
    ]
    assert text_diversity_penalties([], [], [], CFG) == []


def test_content_type_penalty_hand_computed():
    # data_chart share 3/4: 0.15 * (0.75 - 0.5) / 0.5 = 0.075; geometry share 1/4: 0.
    types = ["data_chart", "data_chart", "geometry", "data_chart"]
    assert content_type_penalties(types, CFG) == pytest.approx([0.075, 0.075, 0.0, 0.075])
    assert content_type_penalties(["map"] * 3, CFG) == [0.0] * 3  # a single type: no penalty
    assert content_type_penalties(["map", "table"], CFG) == [0.0, 0.0]  # share 0.5 is not > 0.5
    assert content_type_penalties([], CFG) == []
