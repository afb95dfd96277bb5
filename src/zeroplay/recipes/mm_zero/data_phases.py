"""MM-Zero's data phases: the CodeGen filter data, the Solver's labelled data, co-evolution.

Each is a function of the recipe loop (`recipe._Loop`: its game, engine, renderer and run
directory) and the phase; each writes its files (see `store`) and then its completion marker.
Every rank computes the whole phase (its generation and renders split over the ranks); the main
process writes the files, and the marker's barrier makes them readable to all. Named by the
phase kinds of `store.PHASE_KINDS`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from zeroplay.games.mm_zero import (
    coevolution_metrics,
    generate_proposals,
    render_rate_filter,
    solver_labelling,
)
from zeroplay.games.protocol import Context
from zeroplay.recipes.mm_zero.batches import offline_seed_rows
from zeroplay.recipes.mm_zero.prompts import within_prompt_cap
from zeroplay.recipes.mm_zero.store import (
    Phase,
    iteration_dir,
    tagged,
    write_proposal_items,
    write_solver_items,
)
from zeroplay.rl.metrics import flatten
from zeroplay.rl.rollout import run_episodes
from zeroplay.rl.rundir import atomic_write_json, read_jsonl, write_jsonl


def codegen_data(loop: Any, phase: Phase) -> None:
    """Offline proposals and the render-rate filter run by the CodeGen of v(i-1) (§4.6a)."""
    game, config = loop.game, loop.config
    folder = loop.folder(phase, "codegen")
    images = loop.images(keep=config.run.render_examples)
    start = time.perf_counter()

    def render_filter(ctx: Context, items: list[Any], meta: dict[str, Any]) -> Any:
        return render_rate_filter(ctx, items, images, game, meta=meta)

    batch, kept, seconds = _propose_then(loop, phase, "codegen", render_filter)
    if loop.is_main:
        tags = {"iteration": phase.iteration, "phase": phase.name}
        write_jsonl(folder / "proposals.jsonl", tagged(batch.records, **tags))
        write_jsonl(folder / "render_filter.jsonl", tagged(kept.records, **tags))
        write_proposal_items(folder / "train_set.jsonl", kept.kept)
        images.save(
            (
                (f"{r.proposal_id}_svg{j}", svg["code"])
                for r in kept.records
                for j, svg in enumerate(r.svgs)
                if svg["rendered"]
            ),
            folder / "renders" / "filter",
        )
    summary = {
        **{f"proposals/{key}": value for key, value in batch.metrics.items()},
        **{f"render_filter/{key}": value for key, value in kept.metrics.items()},
        "rollout_seconds": seconds,
        "seconds": time.perf_counter() - start,
    }
    loop.finish(phase, summary)


def solver_data(loop: Any, phase: Phase) -> None:
    """Proposals from Proposer v(i), one SVG each from CodeGen v(i), rendered, labelled by
    the Solver that starts the phase, filtered (§4.6b-c)."""
    game, config = loop.game, loop.config
    folder = loop.folder(phase, "solver")
    if game.solver_init == "base":
        loop.restart_solver(phase.iteration)
    images = loop.images(keep=None)  # every render is kept: they are the training images
    start = time.perf_counter()

    def label(ctx: Context, items: list[Any], meta: dict[str, Any]) -> Any:
        return solver_labelling(ctx, items, images, game, meta=meta)

    batch, labelled, seconds = _propose_then(loop, phase, "solver", label)
    # The released code's prompt cap (solver.max_prompt_tokens; 0 keeps everything).
    train_set, over_cap = within_prompt_cap(
        labelled.items, loop.policies.processor, config.solver.max_prompt_tokens
    )
    if loop.is_main:
        tags = {"iteration": phase.iteration, "phase": phase.name}
        images.save(
            ((r.proposal_id, r.code) for r in labelled.records if r.rendered), folder / "renders"
        )
        write_jsonl(folder / "proposals.jsonl", tagged(batch.records, **tags))
        write_jsonl(folder / "labels.jsonl", tagged(labelled.records, **tags))
        write_solver_items(folder / "train_set.jsonl", train_set, "renders")
    summary = {
        "solver_prompts_over_cap": over_cap,
        **{f"proposals/{key}": value for key, value in batch.metrics.items()},
        **{f"labelling/{key}": value for key, value in labelled.metrics.items()},
        "rollout_seconds": seconds,
        "seconds": time.perf_counter() - start,
    }
    loop.finish(phase, summary)


def coevolution(loop: Any, phase: Phase) -> None:
    """The §8 panels of the iteration, from its files only."""
    folder = iteration_dir(loop.run_dir, phase.iteration)
    metrics = coevolution_metrics(
        proposals=read_jsonl(folder / "solver" / "proposals.jsonl"),
        labelling=read_jsonl(folder / "solver" / "labels.jsonl"),
        render_filter=read_jsonl(folder / "codegen" / "render_filter.jsonl"),
    )
    if loop.is_main:
        atomic_write_json(folder / "coevolution.json", metrics)
    loop.finish(phase, {"kind": "coevolution", **flatten(metrics, "coevolution/")})


def _propose_then(
    loop: Any, phase: Phase, role: str, then: Callable[[Context, list[Any], dict[str, Any]], Any]
) -> tuple[Any, Any, float]:
    """Fresh offline proposals for `role`'s data (`<role>.proposals` seed rows), then
    `then(ctx, proposals, meta)` on them, as one episode on the engine seeded for the phase;
    returns the proposals, what `then` returned, and the seconds it took."""
    count = getattr(loop.config, role).proposals
    rows = offline_seed_rows(loop.seeds, count, f"{loop.seed}:{phase.name}")
    meta = {"iteration": phase.iteration}
    prefix = f"i{phase.iteration}{role[0]}-"  # i1c-..., i1s-...

    async def play(ctx: Context) -> tuple[Any, Any]:
        batch = await generate_proposals(
            ctx, rows, loop.game, phase=role, id_prefix=prefix, meta=meta
        )
        return batch, await then(ctx, batch.items, meta)

    engine = loop.step_engine(phase, 0, {})
    began = time.perf_counter()
    ((batch, result),) = run_episodes(loop.wrapped(engine), [play(Context())])
    return batch, result, time.perf_counter() - began
