"""The CodeGen-phase data filter (note §4.6a): keep proposals the current CodeGen sometimes draws.

The CodeGen that starts the phase writes `codegen_filter.n` SVGs per proposal; a proposal is kept
when its render rate lies in `render_rate_window` (1 to 3 of 4 by default). With
`codegen_render_filter=False` (the no-filter ablation) nothing is sampled and all are kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zeroplay.games.mm_zero.asking import RenderFn, codegen_request, render_codes
from zeroplay.games.mm_zero.config import MMZeroGameConfig
from zeroplay.games.mm_zero.filters import render_rate_drop_reason
from zeroplay.games.mm_zero.metrics import render_filter_metrics
from zeroplay.games.mm_zero.records import (
    ProposalItem,
    RenderFilterRecord,
    RenderFilterResult,
    SvgAttempt,
)
from zeroplay.games.mm_zero.svg_code import extract_svg_code, looks_like_svg
from zeroplay.games.protocol import Context

PHASE = "codegen"


async def render_rate_filter(
    ctx: Context,
    proposals: Sequence[ProposalItem],
    render: RenderFn,
    config: MMZeroGameConfig,
    *,
    meta: Mapping[str, Any] | None = None,
) -> RenderFilterResult:
    """Measure each proposal's render rate and keep those inside the window."""
    if not config.codegen_render_filter:
        records = [RenderFilterRecord(proposal_id=item.proposal_id) for item in proposals]
        return RenderFilterResult(list(proposals), records, render_filter_metrics(records))
    replies = await ctx.generate_many(
        [
            codegen_request(
                item.proposal,
                config.codegen_filter,
                phase=PHASE,
                use="render_filter",
                meta=meta,
                proposal_id=item.proposal_id,
            )
            for item in proposals
        ]
    )
    codes = [[extract_svg_code(g.text) for g in samples] for samples in replies]
    flat = [code for per_item in codes for code in per_item]
    renders = render_codes(flat, render)
    kept: list[ProposalItem] = []
    records: list[RenderFilterRecord] = []
    cursor = 0
    for item, samples, item_codes in zip(proposals, replies, codes, strict=True):
        attempts = []
        for k, (sample, code) in enumerate(zip(samples, item_codes, strict=True)):
            result = renders[cursor]
            cursor += 1
            ok = result is not None and result.ok
            attempts.append(
                SvgAttempt(
                    sample_index=k,
                    code=code,
                    reply_chars=len(sample.text),
                    svg_like=bool(code) and looks_like_svg(code),
                    rendered=ok,
                    render_reason=None
                    if ok
                    else ("no SVG code in the reply" if result is None else result.reason),
                    width=result.width if ok and result is not None else 0,
                    height=result.height if ok and result is not None else 0,
                )
            )
        rate = sum(a.rendered for a in attempts) / max(len(attempts), 1)
        reason = render_rate_drop_reason(rate, config)
        records.append(
            RenderFilterRecord(
                proposal_id=item.proposal_id,
                svgs=[a.to_record() for a in attempts],
                render_rate=rate,
                kept=reason is None,
                drop_reason=reason,
            )
        )
        if reason is None:
            kept.append(item)
    return RenderFilterResult(kept, records, render_filter_metrics(records))
