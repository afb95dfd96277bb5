"""Requests to the three roles and the render hook the game is given.

Requests carry `policy` = "proposer" | "codegen" | "solver" and metadata naming the game, phase,
use and ids. Judge questions always go to policy "solver"; which weights serve it in the CodeGen
phase is the recipe's choice (`MMZeroGameConfig.codegen_judge`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from PIL import Image

from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
from zeroplay.games.mm_zero.prompts import codegen_prompt, proposer_prompt, solver_prompt
from zeroplay.games.mm_zero.proposal import Proposal

PROPOSER, CODEGEN, SOLVER = "proposer", "codegen", "solver"


class RenderedImage(Protocol):
    """What the game needs from a render result (`zeroplay.data.svg.RenderResult` fits)."""

    ok: bool
    image: Image.Image | None
    reason: str | None
    width: int
    height: int


# Renders SVG texts, in order; the recipe passes the sandbox (`zeroplay.data.svg.SvgRenderer`).
RenderFn = Callable[[list[str]], Sequence[RenderedImage]]


def _meta(phase: str, use: str, extra: Mapping[str, Any] | None, **ids: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"game": "mm_zero", "phase": phase, "use": use}
    meta.update(extra or {})
    meta.update(ids)
    return meta


def proposer_request(
    seed_text: str,
    sampling: SamplingParams,
    *,
    phase: str,
    use: str,
    meta: Mapping[str, Any] | None = None,
    **ids: Any,
) -> ChatRequest:
    """The Proposer turn for one seed row (text only)."""
    return ChatRequest(
        messages=[user_message(proposer_prompt(seed_text))],
        sampling=sampling,
        policy=PROPOSER,
        meta=_meta(phase, use, meta, **ids),
    )


def codegen_request(
    proposal: Proposal,
    sampling: SamplingParams,
    *,
    phase: str,
    use: str,
    meta: Mapping[str, Any] | None = None,
    **ids: Any,
) -> ChatRequest:
    """The CodeGen turn for one proposal (text only)."""
    return ChatRequest(
        messages=[user_message(codegen_prompt(proposal))],
        sampling=sampling,
        policy=CODEGEN,
        meta=_meta(phase, use, meta, **ids),
    )


def solver_request(
    question: str,
    image: Image.Image,
    sampling: SamplingParams,
    *,
    phase: str,
    use: str,
    meta: Mapping[str, Any] | None = None,
    **ids: Any,
) -> ChatRequest:
    """The Solver turn: the image, then the question and the think/boxed instruction."""
    return ChatRequest(
        messages=[user_message(solver_prompt(question), n_images=1)],
        images=[image],
        sampling=sampling,
        policy=SOLVER,
        meta=_meta(phase, use, meta, **ids),
    )


def render_codes(codes: Sequence[str], render: RenderFn) -> list[RenderedImage | None]:
    """Render the non-empty codes in one call; None for empty ones (nothing to render)."""
    wanted = [i for i, code in enumerate(codes) if code.strip()]
    results = list(render([codes[i] for i in wanted])) if wanted else []
    if len(results) != len(wanted):
        raise ValueError(f"render returned {len(results)} results for {len(wanted)} SVGs")
    out: list[RenderedImage | None] = [None] * len(codes)
    for i, result in zip(wanted, results, strict=True):
        out[i] = result
    return out
