"""Per-sample reward formulas of the three roles (note §4.1-4.3); batch penalties are in
`zeroplay.games.mm_zero.diversity`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from zeroplay.answers.boxed import last_boxed
from zeroplay.answers.grading import grade_answer
from zeroplay.answers.tags import collapse_tag_spacing
from zeroplay.games.mm_zero.config import MMZeroGameConfig
from zeroplay.games.mm_zero.svg_code import looks_like_svg


@dataclass(frozen=True)
class SvgOutcome:
    """One SVG of a proposal: did it render, and how the judge scored the image if it did."""

    rendered: bool
    solvability: float = 0.0
    consistency: float = 0.0

    @property
    def difficulty(self) -> float:
        return min(self.consistency, 1.0 - self.consistency)


@dataclass(frozen=True)
class ProposalQuality:
    """The per-proposal part of the Proposer reward (before the batch diversity penalties)."""

    base: float
    avg_solvability: float
    avg_difficulty: float
    easy_hard_penalty: float
    num_rendered: int
    num_codes: int

    @property
    def total(self) -> float:
        return self.base + self.easy_hard_penalty


def proposal_quality(outcomes: Sequence[SvgOutcome], config: MMZeroGameConfig) -> ProposalQuality:
    """base = (1/N) * sum over rendered SVGs of [min(solv, cap) + min(c, 1 - c)] (note §4.1).

    N counts every SVG asked for, rendered or not (at least 1). The easy-hard penalty applies when
    the mean difficulty over rendered SVGs is below the threshold; with nothing rendered that
    mean is taken as 0, so the penalty applies.
    """
    n = max(len(outcomes), 1)
    rendered = [o for o in outcomes if o.rendered]
    base = sum(min(o.solvability, config.solvability_cap) + o.difficulty for o in rendered) / n
    avg_difficulty = sum(o.difficulty for o in rendered) / len(rendered) if rendered else 0.0
    avg_solvability = sum(o.solvability for o in rendered) / len(rendered) if rendered else 0.0
    penalty = -config.easy_hard_penalty if avg_difficulty < config.easy_hard_threshold else 0.0
    return ProposalQuality(
        base=base,
        avg_solvability=avg_solvability,
        avg_difficulty=avg_difficulty,
        easy_hard_penalty=penalty,
        num_rendered=len(rendered),
        num_codes=len(outcomes),
    )


@dataclass(frozen=True)
class CodegenScore:
    """CodeGen reward and its logged components (note §4.2)."""

    reward: float
    rendered: bool
    svg_like: bool
    solvability: float
    difficulty: float


def codegen_reward(code: str, outcome: SvgOutcome, config: MMZeroGameConfig) -> CodegenScore:
    """rendered: 1 + solv + min(c, 1 - c); else -(0.1 + [empty] 0.05 + [not SVG] 0.5), >= -0.5.

    So an SVG that fails to render gets -0.1, and an empty or non-SVG reply -0.5.
    """
    svg_like = bool(code.strip()) and looks_like_svg(code)
    if outcome.rendered:
        reward = 1.0 + outcome.solvability + outcome.difficulty
        return CodegenScore(reward, True, svg_like, outcome.solvability, outcome.difficulty)
    penalty = config.codegen_no_render_penalty
    if not code.strip():
        penalty += config.codegen_empty_penalty
    if not svg_like:
        penalty += config.codegen_not_svg_penalty
    reward = max(config.codegen_penalty_floor, -penalty)
    return CodegenScore(reward, False, svg_like, 0.0, 0.0)


_THINK_OPEN, _THINK_CLOSE, _BOX_OPEN = "<think>", "</think>", "\\boxed{"
_SPACE = re.compile(r"\s*")


def has_solver_format(text: str) -> bool:
    """The code's exact format check, linear-time (note §4.3).

    Equivalent to `re.fullmatch(r"<think>.*?</think>\\s*\\\\boxed\\{.*?\\}\\s*$", t, re.DOTALL)`
    on t = the text with whitespace around `<`, `>` and `/` deleted: it starts with `<think>`,
    some `</think>` is followed (after optional whitespace) by `\\boxed{`, and the text ends
    with `}` plus optional whitespace, that brace coming after the box opener.
    """
    t = collapse_tag_spacing(text)
    if not t.startswith(_THINK_OPEN):
        return False
    body = t.rstrip()  # str.rstrip strips exactly what the regex's \s matches
    if not body.endswith("}"):
        return False
    last_brace = len(body) - 1
    position = t.find(_THINK_CLOSE, len(_THINK_OPEN))
    while position >= 0:
        box = _SPACE.match(t, position + len(_THINK_CLOSE)).end()  # type: ignore[union-attr]
        if t.startswith(_BOX_OPEN, box) and last_brace >= box + len(_BOX_OPEN):
            return True
        position = t.find(_THINK_CLOSE, position + 1)
    return False


@dataclass(frozen=True)
class SolverScore:
    """Solver reward and its two parts (note §4.3)."""

    reward: float
    accuracy: float
    format: float
    answer: str | None


def solver_reward(text: str, label: str, config: MMZeroGameConfig) -> SolverScore:
    """(1 - w) * [grade_answer(last box, label)] + w * [exact think-then-box format], w = 0.1.

    One grading direction only (given = the reply's answer, gold = the majority label).
    """
    found = last_boxed(text)
    answer = found.value if found.ok else None
    accuracy = (
        1.0
        if answer is not None and grade_answer(answer, label, timeout_s=config.grade_timeout_s)
        else 0.0
    )
    form = 1.0 if has_solver_format(text) else 0.0
    weight = config.solver_format_weight
    return SolverScore((1.0 - weight) * accuracy + weight * form, accuracy, form, answer)
