"""Hand-computed questioner and reasoner rewards for both variants, invalid outputs included."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroplay.games.visplay import questioner_reward, reasoner_reward, think_format_ok, uncertainty


@pytest.mark.parametrize(
    ("confidence", "expected"),
    [(0.0, 0.0), (0.1, 0.2), (0.3, 0.6), (0.5, 1.0), (0.7, 0.6), (0.9, 0.2), (1.0, 0.0)],
)
def test_uncertainty_is_one_minus_distance_from_half(confidence: float, expected: float) -> None:
    assert uncertainty(confidence) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("valid", "confidence", "share", "lam", "reward", "unc", "penalty"),
    [
        # valid * ReLU((1 - |2c - 1|) - lambda * share)
        (True, 0.5, 1 / 8, 1.0, 0.875, 1.0, 0.125),
        (True, 0.3, 2 / 8, 1.0, 0.35, 0.6, 0.25),
        (True, 0.3, 2 / 8, 2.0, 0.1, 0.6, 0.5),
        (True, 0.9, 3 / 8, 1.0, 0.0, 0.2, 0.375),  # 0.2 - 0.375 < 0 -> ReLU gives 0
        (True, 1.0, 1 / 8, 1.0, 0.0, 0.0, 0.125),
        (False, 0.5, 1 / 8, 1.0, 0.0, 0.0, 0.0),  # invalid -> 0
    ],
)
def test_paper_questioner_reward(valid, confidence, share, lam, reward, unc, penalty) -> None:
    r = questioner_reward(
        valid=valid, confidence=confidence, share=share, variant="paper", diversity_lambda=lam
    )
    assert (r.reward, r.uncertainty, r.penalty) == pytest.approx((reward, unc, penalty))


@pytest.mark.parametrize(
    ("valid", "confidence", "share", "reward", "unc"),
    [
        # min(c, 1 - c) - |C| / N
        (True, 0.5, 1 / 4096, 0.5 - 1 / 4096, 0.5),
        (True, 0.3, 3 / 4096, 0.3 - 3 / 4096, 0.3),
        (True, 0.8, 0.25, 0.2 - 0.25, 0.2),  # no ReLU: negative rewards pass through
        (True, 1.0, 0.5, -0.5, 0.0),
        (True, 0.0, 0.125, -0.125, 0.0),
        (False, 0.5, 1 / 4096, -1 - 1 / 4096, 0.0),  # invalid -> -1 - share
        (False, 0.0, 0.5, -1.5, 0.0),
    ],
)
def test_code_questioner_reward(valid, confidence, share, reward, unc) -> None:
    r = questioner_reward(valid=valid, confidence=confidence, share=share, variant="code")
    assert (r.reward, r.uncertainty, r.penalty) == pytest.approx((reward, unc, share))


def test_code_reward_ignores_lambda() -> None:
    a = questioner_reward(valid=True, confidence=0.4, share=0.1, variant="code")
    b = questioner_reward(
        valid=True, confidence=0.4, share=0.1, variant="code", diversity_lambda=7.0
    )
    assert a == b


@pytest.mark.parametrize(
    ("response", "silver", "paper", "code"),
    [
        ("The answer is \\boxed{4}.", "4", 1.0, 0.9),
        ("<think>count</think>\\boxed{4}", "4", 1.0, 1.0),
        ("<think>count</think>\n\\boxed{5}\n", "4", 0.0, 0.1),  # format without accuracy
        ("< think >count< / think > \\boxed{4}", "4", 1.0, 1.0),  # spacing collapsed (code)
        ("<think>a</think>\\boxed{4} and more text", "4", 1.0, 0.9),  # not a full match
        ("no box here: 4", "4", 0.0, 0.0),
        ("\\boxed{}", "4", 0.0, 0.0),
        ("\\boxed{3} then \\boxed{4}", "4", 1.0, 0.9),  # the last box counts
        ("\\boxed{0.5}", "\\frac{1}{2}", 1.0, 0.9),
        ("\\boxed{B}", "B", 1.0, 0.9),
        ("\\boxed{C}", "B", 0.0, 0.0),
    ],
)
def test_reasoner_reward(response: str, silver: str, paper: float, code: float) -> None:
    assert reasoner_reward(response, silver, variant="paper").reward == pytest.approx(paper)
    assert reasoner_reward(response, silver, variant="code").reward == pytest.approx(code)


def test_reasoner_reward_reports_its_parts() -> None:
    r = reasoner_reward("<think>x</think>\\boxed{ 7 }", "7", variant="paper")
    assert (r.reward, r.accuracy, r.think_format, r.answer) == (1.0, 1.0, True, "7")
    r = reasoner_reward("7", "7", variant="code")
    assert (r.reward, r.accuracy, r.think_format, r.answer) == (0.0, 0.0, False, None)


def test_code_variant_collapses_spacing_before_extracting() -> None:
    # The code rewrites "1 / 2" to "1/2" before extracting the box (note §3.2).
    assert reasoner_reward("\\boxed{1 / 2}", "1/2", variant="code").answer == "1/2"
    assert reasoner_reward("\\boxed{1 / 2}", "1/2", variant="paper").answer == "1 / 2"


_CODE_FORMAT = re.compile(r"<think>.*</think>\s*\\boxed\{.*\}\s*", re.DOTALL)
_SPACING = re.compile(r"\s*(<|>|/)\s*")
_PIECES = st.sampled_from(
    ["<think>", "</think>", "\\boxed{", "}", "{", " ", "\n", "x", "/", "<", ">", "think", "\t"]
)


@given(st.lists(_PIECES, max_size=14).map("".join))
def test_think_format_matches_the_code_regex(text: str) -> None:
    expected = _CODE_FORMAT.fullmatch(_SPACING.sub(r"\1", text)) is not None
    assert think_format_ok(text) == expected


@given(st.text(max_size=200))
def test_think_format_never_raises(text: str) -> None:
    assert isinstance(think_format_ok(text), bool)


def test_think_format_is_linear_on_adversarial_text() -> None:
    # Many closers each followed by whitespace: quadratic backtracking for the regex.
    text = "<think>" + "</think> " * 20000 + "x}"
    assert think_format_ok(text) is False
