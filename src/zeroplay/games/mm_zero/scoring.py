"""From CodeGen replies to judged images: extract the SVG, render, ask the Solver, score.

Shared by the Proposer reward (N SVGs per proposal) and the CodeGen reward (one per sample):
every rendered image gets `judge.n` answers to its easy and to its hard question, in one batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zeroplay.games.mm_zero.asking import RenderFn, render_codes, solver_request
from zeroplay.games.mm_zero.config import MMZeroGameConfig
from zeroplay.games.mm_zero.judging import judge_image
from zeroplay.games.mm_zero.proposal import Proposal
from zeroplay.games.mm_zero.records import SvgAttempt
from zeroplay.games.mm_zero.rewards import SvgOutcome
from zeroplay.games.mm_zero.svg_code import extract_svg_code, looks_like_svg
from zeroplay.games.protocol import Context


@dataclass(frozen=True)
class SvgJob:
    """One CodeGen reply to judge, for the proposal it was written for."""

    job_id: str
    proposal: Proposal
    sample_index: int
    reply: str


def outcome_of(attempt: SvgAttempt) -> SvgOutcome:
    """The reward inputs of a judged SVG."""
    return SvgOutcome(attempt.rendered, attempt.solvability, attempt.consistency)


async def judge_svgs(
    ctx: Context,
    jobs: Sequence[SvgJob],
    render: RenderFn,
    config: MMZeroGameConfig,
    *,
    phase: str,
    meta: Mapping[str, Any] | None = None,
) -> list[SvgAttempt]:
    """Extract, render and judge every job's SVG; one `SvgAttempt` per job, in order."""
    codes = [extract_svg_code(job.reply) for job in jobs]
    renders = render_codes(codes, render)
    requests = []
    asked: list[tuple[int, str]] = []  # (job index, "easy" | "hard")
    for index, (job, result) in enumerate(zip(jobs, renders, strict=True)):
        if result is None or not result.ok or result.image is None:
            continue
        for kind, question in (
            ("easy", job.proposal.easy_question),
            ("hard", job.proposal.hard_question),
        ):
            if not question.strip():
                continue
            asked.append((index, kind))
            requests.append(
                solver_request(
                    question,
                    result.image,
                    config.judge,
                    phase=phase,
                    use=f"judge_{kind}",
                    meta=meta,
                    job_id=job.job_id,
                )
            )
    replies = await ctx.generate_many(requests)
    texts: dict[tuple[int, str], list[str]] = {
        key: [g.text for g in generated] for key, generated in zip(asked, replies, strict=True)
    }
    attempts: list[SvgAttempt] = []
    for index, (job, code, result) in enumerate(zip(jobs, codes, renders, strict=True)):
        attempt = SvgAttempt(
            sample_index=job.sample_index,
            code=code,
            reply_chars=len(job.reply),
            svg_like=bool(code) and looks_like_svg(code),
            rendered=False,
            render_reason="no SVG code in the reply" if result is None else result.reason,
        )
        if result is not None and result.ok and result.image is not None:
            judged = judge_image(
                texts.get((index, "easy"), []),
                texts.get((index, "hard"), []),
                job.proposal.easy_answer,
                config,
            )
            attempt.rendered = True
            attempt.render_reason = None
            attempt.width, attempt.height = result.width, result.height
            attempt.easy_answers = judged.easy_answers
            attempt.hard_answers = judged.hard_answers
            attempt.solvability = judged.solvability
            attempt.consistency = judged.consistency
            attempt.hard_majority = judged.hard_majority
        attempts.append(attempt)
    return attempts
