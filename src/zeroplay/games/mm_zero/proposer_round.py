"""Phase 1 of an MM-Zero iteration: one Proposer-training round (note §4.1).

Each seed row gets `proposer_rollout.n` proposals (one GRPO group). Valid proposals get N SVGs
from the frozen CodeGen; each rendered SVG is judged by the frozen Solver (k answers to the easy
and to the hard question). The reward of a valid proposal is
    base + easy-hard penalty - text-diversity penalty - content-type penalty,
the last two computed over all valid proposals of the batch; an unparsable proposal gets -1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zeroplay.games.mm_zero.asking import RenderFn, codegen_request, proposer_request
from zeroplay.games.mm_zero.config import MMZeroGameConfig
from zeroplay.games.mm_zero.diversity import content_type_penalties, text_diversity_penalties
from zeroplay.games.mm_zero.metrics import proposer_metrics
from zeroplay.games.mm_zero.proposal import Proposal, parse_proposal_strict
from zeroplay.games.mm_zero.records import ProposerRecord, ProposerRound
from zeroplay.games.mm_zero.rewards import proposal_quality
from zeroplay.games.mm_zero.scoring import SvgJob, judge_svgs, outcome_of
from zeroplay.games.mm_zero.seeds import SeedPrompt
from zeroplay.games.protocol import Context, ScoredTurn

PHASE = "proposer"


async def proposer_round(
    ctx: Context,
    seeds: Sequence[SeedPrompt],
    render: RenderFn,
    config: MMZeroGameConfig,
    *,
    id_prefix: str = "",
    meta: Mapping[str, Any] | None = None,
) -> ProposerRound:
    """Play one Proposer round over `seeds` and score every Proposer sample.

    `id_prefix` makes proposal ids unique across rounds; `meta` is merged into every request.
    """
    replies = await ctx.generate_many(
        [
            proposer_request(
                seed.text,
                config.proposer_rollout,
                phase=PHASE,
                use="train",
                meta=meta,
                seed_id=seed.seed_id,
                position=position,
            )
            for position, seed in enumerate(seeds)
        ]
    )
    records: list[ProposerRecord] = []
    generated = []
    valid: list[tuple[int, Proposal]] = []  # (record index, proposal)
    for position, (seed, samples) in enumerate(zip(seeds, replies, strict=True)):
        for k, sample in enumerate(samples):
            parsed = parse_proposal_strict(sample.text)
            record = ProposerRecord(
                proposal_id=f"{id_prefix}{position:05d}-{k}",
                seed_id=seed.seed_id,
                topic=seed.topic,
                sample_index=k,
                text=sample.text,
                valid=parsed.ok,
                invalid_reason=parsed.reason,
            )
            if parsed.ok and parsed.value is not None:
                record.proposal = parsed.value.to_record()
                record.effective_content_type = parsed.value.effective_content_type
                valid.append((len(records), parsed.value))
            records.append(record)
            generated.append((position, sample))

    code_replies = await ctx.generate_many(
        [
            codegen_request(
                proposal,
                config.codegen_scoring,
                phase=PHASE,
                use="score_proposal",
                meta=meta,
                proposal_id=records[index].proposal_id,
            )
            for index, proposal in valid
        ]
    )
    jobs = [
        SvgJob(f"{records[index].proposal_id}/svg{j}", proposal, j, code.text)
        for (index, proposal), codes in zip(valid, code_replies, strict=True)
        for j, code in enumerate(codes)
    ]
    attempts = await judge_svgs(ctx, jobs, render, config, phase=PHASE, meta=meta)

    text_penalties = text_diversity_penalties(
        [p.caption for _, p in valid],
        [p.easy_question for _, p in valid],
        [p.hard_question for _, p in valid],
        config,
    )
    type_penalties = content_type_penalties([p.effective_content_type for _, p in valid], config)
    cursor = 0
    for (index, _proposal), codes, text_penalty, type_penalty in zip(
        valid, code_replies, text_penalties, type_penalties, strict=True
    ):
        mine = attempts[cursor : cursor + len(codes)]
        cursor += len(codes)
        quality = proposal_quality([outcome_of(a) for a in mine], config)
        record = records[index]
        record.svgs = [a.to_record() for a in mine]
        record.base = quality.base
        record.avg_solvability = quality.avg_solvability
        record.avg_difficulty = quality.avg_difficulty
        record.easy_hard_penalty = quality.easy_hard_penalty
        record.num_rendered = quality.num_rendered
        record.num_codes = quality.num_codes
        record.text_diversity_penalty = text_penalty
        record.content_type_penalty = type_penalty
        record.reward = quality.total - text_penalty - type_penalty
    for record in records:
        if not record.valid:
            record.reward = config.invalid_proposal_reward

    turns = [
        ScoredTurn(
            generated=sample,
            role="proposer",
            stage=PHASE,
            group=f"{id_prefix}{position:05d}",
            reward=record.reward,
            policy="proposer",
            info={
                "proposal_id": record.proposal_id,
                "valid": record.valid,
                "base": record.base,
                "num_rendered": record.num_rendered,
                "avg_solvability": record.avg_solvability,
                "avg_difficulty": record.avg_difficulty,
            },
        )
        for (position, sample), record in zip(generated, records, strict=True)
    ]
    return ProposerRound(turns=turns, records=records, metrics=proposer_metrics(records))
