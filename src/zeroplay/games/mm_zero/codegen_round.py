"""Phase 2 of an MM-Zero iteration: one CodeGen-training round (note §4.2).

Each filtered proposal gets `codegen_rollout.n` SVGs (one GRPO group). Every SVG is extracted,
rendered and, when it renders, judged on the easy and the hard question by the policy "solver"
(which weights serve it is `MMZeroGameConfig.codegen_judge`, applied by the recipe). Reward:
1 + solvability + min(c, 1 - c) when rendered, -0.1 for an SVG that fails, -0.5 for none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zeroplay.games.mm_zero.asking import RenderFn, codegen_request
from zeroplay.games.mm_zero.config import MMZeroGameConfig
from zeroplay.games.mm_zero.metrics import codegen_metrics
from zeroplay.games.mm_zero.records import CodegenRecord, CodegenRound, ProposalItem
from zeroplay.games.mm_zero.rewards import codegen_reward
from zeroplay.games.mm_zero.scoring import SvgJob, judge_svgs, outcome_of
from zeroplay.games.protocol import Context, ScoredTurn

PHASE = "codegen"


async def codegen_round(
    ctx: Context,
    proposals: Sequence[ProposalItem],
    render: RenderFn,
    config: MMZeroGameConfig,
    *,
    meta: Mapping[str, Any] | None = None,
) -> CodegenRound:
    """Play one CodeGen round over `proposals` (unique ids) and score every CodeGen sample."""
    replies = await ctx.generate_many(
        [
            codegen_request(
                item.proposal,
                config.codegen_rollout,
                phase=PHASE,
                use="train",
                meta=meta,
                proposal_id=item.proposal_id,
            )
            for item in proposals
        ]
    )
    pairs = [
        (item, k, sample)
        for item, samples in zip(proposals, replies, strict=True)
        for k, sample in enumerate(samples)
    ]
    jobs = [
        SvgJob(f"{item.proposal_id}/svg{k}", item.proposal, k, sample.text)
        for item, k, sample in pairs
    ]
    attempts = await judge_svgs(ctx, jobs, render, config, phase=PHASE, meta=meta)
    turns: list[ScoredTurn] = []
    records: list[CodegenRecord] = []
    for (item, k, sample), attempt in zip(pairs, attempts, strict=True):
        score = codegen_reward(attempt.code, outcome_of(attempt), config)
        records.append(
            CodegenRecord(
                proposal_id=item.proposal_id,
                sample_index=k,
                svg=attempt.to_record(),
                reward=score.reward,
                rendered=score.rendered,
                svg_like=score.svg_like,
                solvability=score.solvability,
                difficulty=score.difficulty,
            )
        )
        turns.append(
            ScoredTurn(
                generated=sample,
                role="codegen",
                stage=PHASE,
                group=item.proposal_id,
                reward=score.reward,
                policy="codegen",
                info={
                    "proposal_id": item.proposal_id,
                    "rendered": score.rendered,
                    "svg_like": score.svg_like,
                    "solvability": score.solvability,
                    "difficulty": score.difficulty,
                },
            )
        )
    return CodegenRound(turns=turns, records=records, metrics=codegen_metrics(records))
