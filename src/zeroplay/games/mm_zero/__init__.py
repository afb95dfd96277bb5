"""MM-Zero as a pure game: Proposer -> CodeGen (SVG) -> render -> Solver, with their rewards.

An iteration is Proposer training (`proposer_round`), CodeGen training on render-filtered
proposals (`generate_proposals`, `render_rate_filter`, `codegen_round`) and Solver training on
self-labelled images (`generate_proposals`, `solver_labelling`, `solver_round`). Rendering is
passed in as a function (`RenderFn`), so the game stays free of processes and files.
Reference: /work/shared/reference/mm_zero.md; switches: `MMZeroGameConfig`, docs/mm_zero.md.
"""

from zeroplay.games.mm_zero.asking import RenderedImage, RenderFn
from zeroplay.games.mm_zero.codegen_round import codegen_round
from zeroplay.games.mm_zero.config import MMZeroGameConfig
from zeroplay.games.mm_zero.metrics import coevolution_metrics
from zeroplay.games.mm_zero.proposal import (
    CONTENT_TYPES,
    Proposal,
    parse_proposal_lenient,
    parse_proposal_strict,
)
from zeroplay.games.mm_zero.proposal_generation import generate_proposals
from zeroplay.games.mm_zero.proposer_round import proposer_round
from zeroplay.games.mm_zero.records import (
    CodegenRecord,
    CodegenRound,
    GeneratedProposal,
    LabelRecord,
    ProposalBatch,
    ProposalItem,
    ProposerRecord,
    ProposerRound,
    RenderFilterRecord,
    RenderFilterResult,
    SolverItem,
    SolverLabelling,
    SolverRecord,
    SolverRound,
    SvgAttempt,
)
from zeroplay.games.mm_zero.render_filter import render_rate_filter
from zeroplay.games.mm_zero.seeds import SEED_TOPICS, SeedPrompt, seed_prompts, seeds_for
from zeroplay.games.mm_zero.solver_labelling import solver_labelling
from zeroplay.games.mm_zero.solver_round import solver_round
from zeroplay.games.mm_zero.svg_code import extract_svg_code

__all__ = [
    "CONTENT_TYPES",
    "SEED_TOPICS",
    "CodegenRecord",
    "CodegenRound",
    "GeneratedProposal",
    "LabelRecord",
    "MMZeroGameConfig",
    "Proposal",
    "ProposalBatch",
    "ProposalItem",
    "ProposerRecord",
    "ProposerRound",
    "RenderFilterRecord",
    "RenderFilterResult",
    "RenderFn",
    "RenderedImage",
    "SeedPrompt",
    "SolverItem",
    "SolverLabelling",
    "SolverRecord",
    "SolverRound",
    "SvgAttempt",
    "codegen_round",
    "coevolution_metrics",
    "extract_svg_code",
    "generate_proposals",
    "parse_proposal_lenient",
    "parse_proposal_strict",
    "proposer_round",
    "render_rate_filter",
    "seed_prompts",
    "seeds_for",
    "solver_labelling",
    "solver_round",
]
