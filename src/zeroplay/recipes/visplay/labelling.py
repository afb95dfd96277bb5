"""VisPlay's phase 2: generate questions for the pool, pseudo-label them, keep the uncertain ones.

A function of the recipe loop (`recipe._Loop`: its config, game, images, engine seeds and run
directory). The pool is sharded over ranks and gathered back in pool order; the kept set is
written before the phase's completion marker, and the reasoner phase reads it back from there.
"""

from __future__ import annotations

import random
import time
from typing import Any

from zeroplay import runtime
from zeroplay.games.protocol import Context
from zeroplay.games.visplay import (
    LabelledQuestion,
    label_questions,
    labelling_metrics,
    relabel_questions,
    silver_label_agreement,
)
from zeroplay.recipes.visplay.images import load_images
from zeroplay.recipes.visplay.state import derive_seed, prefixed
from zeroplay.rl.rollout import run_episodes
from zeroplay.rl.rundir import read_jsonl, write_jsonl


def pool(loop: Any, iteration: int) -> list[str]:
    """The images questions are generated for in this iteration (note §3.1)."""
    ids = loop.images.ids
    count = min(loop.config.schedule.pool_images, len(ids))
    if loop.config.schedule.pool == "first":
        return ids[:count]
    return random.Random(derive_seed(loop.seed, "pool", iteration)).sample(ids, count)


def label_phase(loop: Any, name: str, iteration: int) -> None:
    """Generate and label questions for the pool with the current (pre-update) reasoner,
    keep the uncertain ones, and measure agreement with the previous iteration's labels."""
    began = time.perf_counter()
    images = pool(loop, iteration)
    position = {image_id: k for k, image_id in enumerate(images)}
    chunk = loop.config.schedule.label_chunk_images
    mine = images[loop.rank :: loop.acc.num_processes]
    batches = [mine[k : k + chunk] for k in range(0, len(mine), chunk)]
    labelled: list[LabelledQuestion] = []
    unreadable = 0
    tokens = 0
    progress, task = runtime.progress_bar(len(batches), name, disable=not loop.is_main)
    with progress:
        for b, ids in enumerate(batches):
            loaded, missing = load_images(loop.images, ids)
            unreadable += missing
            engine = loop.engine(name, "batch", b)
            episode = label_questions(Context(), loaded, loop.game, meta=loop.meta(iteration))
            (result,) = run_episodes(engine, [episode])
            labelled.extend(result)
            tokens += engine.tokens
            progress.update(task, advance=1)
    records = runtime.gather_lists(loop.acc, [q.to_record() for q in labelled])
    records.sort(key=lambda r: (position[r["image_id"]], r["sample_index"]))
    everything = [LabelledQuestion.from_record(r) for r in records]
    kept = [r for r in records if r["kept"]]
    agreement, relabelled = relabel_previous(loop, name, iteration)

    folder = loop.iteration_dir(iteration)
    if loop.is_main:
        tag = {"recipe": "visplay", "phase": name, "iteration": iteration}
        write_jsonl(folder / "questions.jsonl", records)
        write_jsonl(folder / "kept.jsonl", kept)
        if relabelled is not None:
            write_jsonl(folder / "relabelled_previous.jsonl", relabelled)
        write_jsonl(loop.run.rollouts / f"{name}.jsonl", [{**r, **tag} for r in records])
        seconds = time.perf_counter() - began
        summary = {
            **prefixed("label", labelling_metrics(everything)),
            **prefixed("label", agreement),
            "label/unreadable_images": float(unreadable),
            "label/pool_images": float(len(images)),
            "label_seconds": seconds,
            "generated_tokens": float(tokens),
            "tokens_per_s": tokens / seconds if seconds > 0 else 0.0,
        }
        loop.log.append(
            {
                "step": loop.global_step,
                "phase": name,
                "stage": "label",
                "iteration": iteration,
                "summary": True,
                **summary,
            }
        )
    loop.phases.mark(name, {"questions": len(records), "kept": len(kept)}, loop.acc)


def relabel_previous(
    loop: Any, name: str, iteration: int
) -> tuple[dict[str, float], list[dict[str, Any]] | None]:
    """Silver-label agreement: the previous iteration's kept questions labelled again by the
    current reasoner (skipped in the first iteration)."""
    if iteration == 1:
        return {}, None
    previous = read_jsonl(loop.iteration_dir(iteration - 1) / "kept.jsonl")
    mine = previous[loop.rank :: loop.acc.num_processes]
    chunk = loop.config.schedule.label_chunk_images * loop.game.questions_per_image
    relabelled: list[dict[str, Any]] = []
    for b, k in enumerate(range(0, len(mine), chunk)):
        questions = [LabelledQuestion.from_record(r) for r in mine[k : k + chunk]]
        loaded = dict(load_images(loop.images, sorted({q.image_id for q in questions}))[0])
        items = [(q, loaded[q.image_id]) for q in questions if q.image_id in loaded]
        episode = relabel_questions(Context(), items, loop.game, meta=loop.meta(iteration))
        (result,) = run_episodes(loop.engine(name, "relabel", b), [episode])
        relabelled.extend(q.to_record() for q in result)
    relabelled = runtime.gather_lists(loop.acc, relabelled)
    before = {r["question_id"]: r["label"] for r in previous}
    # A question the current reasoner no longer answers counts as a disagreement.
    after = {r["question_id"]: r["label"] or "" for r in relabelled}
    agreement = silver_label_agreement(before, after, timeout_s=loop.game.grade_timeout_s)
    return agreement, relabelled
