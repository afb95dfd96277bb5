"""Offline proposals for the CodeGen and Solver phases: one Proposer sample per seed row.

Parsed leniently (note §2.1); invalid replies are kept as records with their raw text (they
count in the funnel metrics) but yield no `ProposalItem`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zeroplay.games.mm_zero.asking import proposer_request
from zeroplay.games.mm_zero.config import MMZeroGameConfig
from zeroplay.games.mm_zero.metrics import generation_metrics
from zeroplay.games.mm_zero.proposal import parse_proposal_lenient
from zeroplay.games.mm_zero.records import GeneratedProposal, ProposalBatch, ProposalItem
from zeroplay.games.mm_zero.seeds import SeedPrompt
from zeroplay.games.protocol import Context


async def generate_proposals(
    ctx: Context,
    seeds: Sequence[SeedPrompt],
    config: MMZeroGameConfig,
    *,
    phase: str,
    id_prefix: str = "",
    meta: Mapping[str, Any] | None = None,
) -> ProposalBatch:
    """`proposer_offline.n` proposals per seed row, ids `{id_prefix}{row:06d}-{k}`."""
    replies = await ctx.generate_many(
        [
            proposer_request(
                seed.text,
                config.proposer_offline,
                phase=phase,
                use="generate",
                meta=meta,
                seed_id=seed.seed_id,
                position=position,
            )
            for position, seed in enumerate(seeds)
        ]
    )
    items: list[ProposalItem] = []
    records: list[GeneratedProposal] = []
    for position, (seed, samples) in enumerate(zip(seeds, replies, strict=True)):
        for k, sample in enumerate(samples):
            proposal_id = f"{id_prefix}{position:06d}-{k}"
            parsed = parse_proposal_lenient(sample.text)
            proposal = parsed.value if parsed.ok else None
            records.append(
                GeneratedProposal(
                    proposal_id=proposal_id,
                    seed_id=seed.seed_id,
                    topic=seed.topic,
                    text=sample.text,
                    valid=proposal is not None,
                    invalid_reason=parsed.reason,
                    proposal=proposal.to_record() if proposal is not None else None,
                )
            )
            if proposal is not None:
                items.append(ProposalItem(proposal_id, proposal, seed.seed_id, seed.topic))
    return ProposalBatch(items=items, records=records, metrics=generation_metrics(records))
