"""What each MM-Zero training phase plays: its items, its round and the renders it keeps.

The Proposer trains on the seed topics, the CodeGen on the proposals its data phase kept, the
Solver on the labelled renders of its data phase (read back from their files, for resume).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from zeroplay.games.mm_zero import (
    MMZeroGameConfig,
    codegen_round,
    proposer_round,
    solver_round,
)
from zeroplay.games.protocol import Context
from zeroplay.recipes.mm_zero.images import SolverImages
from zeroplay.recipes.mm_zero.store import Phase, read_proposal_items, read_solver_items

Play = Callable[[Context, list[Any], SolverImages, dict[str, Any]], Coroutine[Any, Any, Any]]
Examples = Callable[[Any], list[tuple[str, str]]]


def phase_round(
    phase: Phase, game: MMZeroGameConfig, seeds: Sequence[Any], folder: Path
) -> tuple[list[Any], Play, Examples]:
    """The items `phase` trains on (data files under the iteration's `folder`), its round and
    the renders it keeps as examples."""
    if phase.kind == "proposer":

        def play(ctx: Context, batch: list[Any], images: SolverImages, meta: dict[str, Any]):
            prefix = f"i{phase.iteration}p{meta['phase_step']:04d}-"
            return proposer_round(ctx, batch, images, game, id_prefix=prefix, meta=meta)

        def examples(result: Any) -> list[tuple[str, str]]:
            return [
                (f"{record.proposal_id}_svg{j}", svg["code"])
                for record in result.records
                for j, svg in enumerate(record.svgs)
                if svg["rendered"]
            ]

        return list(seeds), play, examples
    if phase.kind == "codegen":

        def play(ctx: Context, batch: list[Any], images: SolverImages, meta: dict[str, Any]):
            return codegen_round(ctx, batch, images, game, meta=meta)

        def examples(result: Any) -> list[tuple[str, str]]:
            return [
                (f"{r.proposal_id}_svg{r.sample_index}", r.svg["code"])
                for r in result.records
                if r.rendered
            ]

        items = read_proposal_items((folder / "codegen") / "train_set.jsonl")
        return items, play, examples

    def play(ctx: Context, batch: list[Any], images: SolverImages, meta: dict[str, Any]):
        return solver_round(ctx, batch, game, meta=meta)

    items = read_solver_items((folder / "solver") / "train_set.jsonl")
    return items, play, lambda result: []
