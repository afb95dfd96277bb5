"""MM-Zero's data phases: the CodeGen filter data, the Solver's labelled data, co-evolution.

Each is a function of the recipe loop (`recipe._Loop`: its game, engine, renderer and run
directory) and the phase; each writes its files (see `store`) and then its completion marker.
Named by the phase kinds of `store.PHASE_KINDS`.
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
    rows = offline_seed_rows(loop.seeds, config.codegen.proposals, f"{loop.seed}:{phase.name}")
    images = loop.images(keep=config.run.render_examples)
    meta = {"iteration": phase.iteration}
    start = time.perf_counter()

    async def play(ctx: Context) -> Any:
        prefix = f"i{phase.iteration}c-"
        batch = await generate_proposals(
            ctx, rows, game, phase="codegen", id_prefix=prefix, meta=meta
        )
        return batch, await render_rate_filter(ctx, batch.items, images, game, meta=meta)

    (batch, kept), seconds = _play(loop, phase, play)
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
    rows = offline_seed_rows(loop.seeds, config.solver.proposals, f"{loop.seed}:{phase.name}")
    images = loop.images(keep=None)  # every render is kept: they are the training images
    meta = {"iteration": phase.iteration}
    start = time.perf_counter()

    async def play(ctx: Context) -> Any:
        prefix = f"i{phase.iteration}s-"
        batch = await generate_proposals(
            ctx, rows, game, phase="solver", id_prefix=prefix, meta=meta
        )
        return batch, await solver_labelling(ctx, batch.items, images, game, meta=meta)

    (batch, labelled), seconds = _play(loop, phase, play)
    tags = {"iteration": phase.iteration, "phase": phase.name}
    images.save(
        ((r.proposal_id, r.code) for r in labelled.records if r.rendered), folder / "renders"
    )
    write_jsonl(folder / "proposals.jsonl", tagged(batch.records, **tags))
    write_jsonl(folder / "labels.jsonl", tagged(labelled.records, **tags))
    # The released code's prompt cap (solver.max_prompt_tokens; 0 keeps everything).
    train_set, over_cap = within_prompt_cap(
        labelled.items, loop.policies.processor, config.solver.max_prompt_tokens
    )
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
    atomic_write_json(folder / "coevolution.json", metrics)
    loop.finish(phase, {"kind": "coevolution", **flatten(metrics, "coevolution/")})


def _play(loop: Any, phase: Phase, play: Callable[[Context], Any]) -> tuple[Any, float]:
    """One episode of a data phase on the engine seeded for the phase; result and seconds."""
    engine = loop.step_engine(phase, 0, {})
    began = time.perf_counter()
    (result,) = run_episodes(loop.wrapped(engine), [play(Context())])
    return result, time.perf_counter() - began
