"""Solver-phase data (note §4.6b-c, §5): one SVG per proposal, render, pseudo-label, filter.

The new CodeGen writes one SVG per proposal (`codegen_offline`); proposals whose SVG renders and
that have a hard question and answer are asked to the Solver that starts the phase,
`labelling.n` times for the hard and for the easy question. The label is the hard question's
majority answer (the Proposer's answers are never used), `hard_consistency` its share and
`easy_consistency` the easy question's majority share (self-consistency, not agreement with the
Proposer). Items are kept per `filters.solver_item_drop_reason`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zeroplay.games.mm_zero.asking import RenderFn, codegen_request, render_codes, solver_request
from zeroplay.games.mm_zero.config import MMZeroGameConfig
from zeroplay.games.mm_zero.filters import solver_item_drop_reason
from zeroplay.games.mm_zero.judging import boxed_answers, label_vote
from zeroplay.games.mm_zero.metrics import labelling_metrics
from zeroplay.games.mm_zero.records import LabelRecord, ProposalItem, SolverItem, SolverLabelling
from zeroplay.games.mm_zero.svg_code import extract_svg_code
from zeroplay.games.protocol import Context

PHASE = "solver"


async def solver_labelling(
    ctx: Context,
    proposals: Sequence[ProposalItem],
    render: RenderFn,
    config: MMZeroGameConfig,
    *,
    meta: Mapping[str, Any] | None = None,
) -> SolverLabelling:
    """Build the Solver training set from `proposals`; every proposal gets a `LabelRecord`."""
    code_replies = await ctx.generate_many(
        [
            codegen_request(
                item.proposal,
                config.codegen_offline,
                phase=PHASE,
                use="generate",
                meta=meta,
                proposal_id=item.proposal_id,
            )
            for item in proposals
        ]
    )
    codes = [extract_svg_code(samples[0].text) if samples else "" for samples in code_replies]
    renders = render_codes(codes, render)
    records: list[LabelRecord] = []
    eligible: list[int] = []
    requests = []
    for index, (item, code, result) in enumerate(zip(proposals, codes, renders, strict=True)):
        proposal = item.proposal
        ok = result is not None and result.ok and result.image is not None
        record = LabelRecord(
            proposal_id=item.proposal_id,
            proposal=proposal.to_record(),
            code=code,
            rendered=ok,
            render_reason=None
            if ok
            else ("no SVG code in the reply" if result is None else result.reason),
            has_hard_question=bool(proposal.hard_question.strip() and proposal.hard_answer.strip()),
        )
        if ok and result is not None:
            record.width, record.height = result.width, result.height
        records.append(record)
        if not ok or not record.has_hard_question or result is None or result.image is None:
            record.drop_reason = "not rendered" if not ok else "no hard question or answer"
            continue
        eligible.append(index)
        for kind, question in (("hard", proposal.hard_question), ("easy", proposal.easy_question)):
            requests.append(
                solver_request(
                    question,
                    result.image,
                    config.labelling,
                    phase=PHASE,
                    use=f"label_{kind}",
                    meta=meta,
                    proposal_id=item.proposal_id,
                )
            )
    replies = await ctx.generate_many(requests)
    items: list[SolverItem] = []
    for slot, index in enumerate(eligible):
        record = records[index]
        hard = boxed_answers([g.text for g in replies[2 * slot]])
        easy = boxed_answers([g.text for g in replies[2 * slot + 1]])
        record.hard_answers, record.easy_answers = hard, easy
        record.evaluated = any(a is not None and a.strip() for a in hard)
        if not record.evaluated:
            record.drop_reason = "no boxed answer to the hard question"
            continue
        hard_vote = label_vote(hard, config)
        easy_vote = label_vote(easy, config)
        record.label = hard_vote.label
        record.hard_consistency = hard_vote.confidence
        record.easy_consistency = easy_vote.confidence
        record.drop_reason = solver_item_drop_reason(
            record.label, record.easy_consistency, record.hard_consistency, config
        )
        record.kept = record.drop_reason is None
        result = renders[index]
        if record.kept and record.label is not None and result is not None and result.image:
            items.append(
                SolverItem(
                    item_id=record.proposal_id,
                    question=proposals[index].proposal.hard_question,
                    label=record.label,
                    image=result.image,
                    hard_consistency=record.hard_consistency,
                    easy_consistency=record.easy_consistency,
                )
            )
    return SolverLabelling(items=items, records=records, metrics=labelling_metrics(records))
