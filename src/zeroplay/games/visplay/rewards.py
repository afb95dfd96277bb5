"""VisPlay's two rewards: the questioner's (uncertainty minus redundancy) and the reasoner's.

Questioner (note §2): c is the reasoner's majority share over m samples, share = |C| / N is the
size of the question's BLEU cluster over the number of questions clustered together.
  paper (Eq. 4-8): r = valid * ReLU((1 - |2c - 1|) - lambda * share); invalid -> 0
  code (cot_val.py): r = min(c, 1 - c) - share;                      invalid -> -1 - share
Reasoner (note §3.2):
  paper (Eq. 10): r = 1[grade(last_boxed(y), silver)]
  code (cot_val_solver.py): r = 0.9 * accuracy + 0.1 * format, after collapsing whitespace
  around "<", ">" and "/", with format = full match of <think>...</think> \\boxed{...}.
"""

from __future__ import annotations

from dataclasses import dataclass

from zeroplay.answers.boxed import last_boxed
from zeroplay.answers.grading import grade_answer
from zeroplay.answers.tags import collapse_tag_spacing

from .config import RewardVariant

CODE_ACCURACY_WEIGHT = 0.9
CODE_FORMAT_WEIGHT = 0.1

_THINK_OPEN = "<think>"
_THINK_CLOSE = "</think>"
_BOX_OPEN = "\\boxed{"


@dataclass(frozen=True)
class QuestionerReward:
    """A questioner reward and the two terms it is made of (as logged)."""

    reward: float
    uncertainty: float
    penalty: float


@dataclass(frozen=True)
class ReasonerReward:
    """A reasoner reward with its parts, all logged in both variants.

    `answer` is the last boxed answer (None when there is none); `think_format` is the code's
    format term, which only the code variant adds to the reward.
    """

    reward: float
    accuracy: float
    think_format: bool
    answer: str | None


def uncertainty(confidence: float) -> float:
    """The paper's r_unc = 1 - |2c - 1|: 1 at c = 0.5, 0 at c = 0 or 1."""
    return 1.0 - abs(2.0 * confidence - 1.0)


def questioner_reward(
    *,
    valid: bool,
    confidence: float,
    share: float,
    variant: RewardVariant,
    diversity_lambda: float = 1.0,
) -> QuestionerReward:
    """The questioner reward of one question (see the module docstring for both formulas).

    `confidence` is ignored for invalid questions; `diversity_lambda` only enters the paper variant
    (the code's formula equals the paper's halved, with lambda = 2 relative to r_unc).
    """
    if variant == "paper":
        if not valid:
            return QuestionerReward(reward=0.0, uncertainty=0.0, penalty=0.0)
        unc = uncertainty(confidence)
        penalty = diversity_lambda * share
        return QuestionerReward(reward=max(0.0, unc - penalty), uncertainty=unc, penalty=penalty)
    if not valid:
        return QuestionerReward(reward=-1.0 - share, uncertainty=0.0, penalty=share)
    unc = min(confidence, 1.0 - confidence)
    return QuestionerReward(reward=unc - share, uncertainty=unc, penalty=share)


def think_format_ok(response: str) -> bool:
    """The code's format term: the spacing-collapsed reply fully matches the DOTALL pattern
    `<think>.*</think>\\s*\\\\boxed\\{.*\\}\\s*`.

    Written as string scans, linear in the reply length (the regex can backtrack quadratically).
    """
    text = collapse_tag_spacing(response)
    if not text.startswith(_THINK_OPEN):
        return False
    body_end = len(text.rstrip())
    if text[body_end - 1] != "}":
        return False
    # Any </think> followed by optional whitespace and "\boxed{" works, provided the final "}"
    # comes after that "\boxed{" (both `.*` may be empty).
    close = text.find(_THINK_CLOSE, len(_THINK_OPEN))
    while close >= 0:
        box = close + len(_THINK_CLOSE)
        while box < len(text) and text[box].isspace():
            box += 1
        if text.startswith(_BOX_OPEN, box) and body_end - 1 >= box + len(_BOX_OPEN):
            return True
        close = text.find(_THINK_CLOSE, close + 1)
    return False


def reasoner_reward(
    response: str, silver: str, *, variant: RewardVariant, timeout_s: float = 5.0
) -> ReasonerReward:
    """The reasoner reward of one response against the silver label."""
    # The code extracts the box after collapsing tag spacing ("1 / 2" becomes "1/2").
    text = collapse_tag_spacing(response) if variant == "code" else response
    boxed = last_boxed(text)
    answer = boxed.value if boxed.ok else None
    correct = answer is not None and grade_answer(answer, silver, timeout_s=timeout_s)
    accuracy = 1.0 if correct else 0.0
    think_format = think_format_ok(response)
    if variant == "paper":
        reward = accuracy
    else:
        reward = CODE_ACCURACY_WEIGHT * accuracy + CODE_FORMAT_WEIGHT * float(think_format)
    return ReasonerReward(
        reward=reward, accuracy=accuracy, think_format=think_format, answer=answer
    )
