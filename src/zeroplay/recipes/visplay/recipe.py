"""VisPlay (arXiv 2511.15661): a Questioner and a Reasoner improve each other on unlabeled images.

Both roles start from one base model (two LoRA adapters, or two full copies with
`model.mode=separate`) and each continues from its own previous version. Every iteration i runs
three phases (reference/visplay.md §4, docs/visplay.md):

    questioner_i   GRPO on the questioner; its reward asks the frozen current reasoner (the
                   reasoner adapter is simply not trained in this phase)
    label_i        the questioner writes `questions_per_image` questions per pool image, the same
                   reasoner answers each m times, the uncertain majority-labelled ones are kept
    reasoner_i     GRPO on the reasoner against the kept set's silver labels

Each phase writes its artifacts (rollouts, `data/iter_i/*.jsonl`, checkpoints) and then
`phases/<name>.done`. Running the same command again skips finished phases and restarts an
unfinished one from its last checkpoint (or its start).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console

from zeroplay.engines.base import Engine
from zeroplay.engines.vllm import VLLMSettings
from zeroplay.games.protocol import Context, ScoredTurn
from zeroplay.games.visplay import (
    LabelledQuestion,
    VisPlayGameConfig,
    label_questions,
    labelling_metrics,
    questioner_round,
    reasoner_round,
    relabel_questions,
    silver_label_agreement,
)
from zeroplay.recipes.common import (
    check_before_start,
    prepare_run_dir,
    progress_bar,
    seed_everything,
)
from zeroplay.recipes.config_io import ConfigError
from zeroplay.recipes.visplay.config import ROLES, Config, phase_names, split_phase
from zeroplay.recipes.visplay.images import (
    ImageSource,
    load_images,
    open_generated_images,
    open_user_images,
)
from zeroplay.recipes.visplay.state import (
    CountingEngine,
    FreshOptimizers,
    ResumePoint,
    derive_seed,
    forget_phase_records,
    gather,
    make_two_role_accelerator,
    phase_summary,
    prefixed,
    prune_checkpoints,
    resume_point,
)
from zeroplay.rl.advantages import AdvantageSpec, compute_advantages
from zeroplay.rl.checkpoint import list_checkpoints, save_checkpoint
from zeroplay.rl.metrics import MetricsLog, sample_metrics
from zeroplay.rl.policies import Policies
from zeroplay.rl.rollout import run_episodes
from zeroplay.rl.rundir import RunDir, read_jsonl, write_jsonl
from zeroplay.rl.samples import Sample
from zeroplay.rl.sharding import ShardingError
from zeroplay.rl.trainer import Trainer

__all__ = ["DEFAULT_PRESET", "SHORTCUTS", "Config", "rollout_engine", "train"]

DEFAULT_PRESET = "tiny"
SHORTCUTS = {"data": "data.path"}
RECIPE = "visplay"
# GRPO advantage (r - mean) / (std + 1e-6) over the group, with torch.std's unbiased std
# (verl/trainer/core_algos.py, note §2.5). Questioner group: one image's G questions; reasoner
# group: one question's G answers.
ADVANTAGE = AdvantageSpec("zscore", std="unbiased", eps=1e-6)

console = Console(stderr=True)


def rollout_engine(
    policies: Policies, seed: int, token_budget: int, vllm: VLLMSettings | None = None
) -> Engine:
    """The engine that plays one rollout step or label batch with the current weights."""
    return policies.engine(seed=seed, token_budget=token_budget, vllm=vllm)


def train(config: Config, out: str | os.PathLike[str]) -> RunDir:
    """Run (or resume) VisPlay in the run directory `out`; returns it."""
    accelerator = make_two_role_accelerator(config.model.mode, config.trainer.mixed_precision)
    is_main = accelerator.is_main_process
    images = open_user_images(config.data)  # checked before the run directory is made
    check_before_start(out, config.identity(), config.model.name)
    run = prepare_run_dir(out, config.identity(), is_main=is_main)
    accelerator.wait_for_everyone()
    phases = phase_names(config.schedule.iterations)
    if all(run.phase_done(name) for name in phases):
        return run
    if images is None:
        images = open_generated_images(
            config.data,
            run.data / "images",
            config.run.seed,
            is_main=is_main,
            wait=accelerator.wait_for_everyone,
        )
    seed_everything(config.run.seed, accelerator.process_index)

    settings = config.model.settings()
    if settings.device == "auto":
        settings = replace(settings, device=str(accelerator.device))
    policies = Policies.load(settings, ROLES, config.model.mode, config.model.lora.build())
    if config.trainer.loss.kl_coef > 0:
        # Make the KL anchors now, from the base weights, before a checkpoint is loaded: every
        # phase of every iteration is anchored at the base model (LoRA: adapters disabled).
        for role in ROLES:
            with policies.reference(role):
                pass
    schedule = config.schedule
    try:
        trainer = Trainer(
            policies,
            config.trainer,
            accelerator,
            {
                "questioner": max(1, schedule.questioner_steps),
                "reasoner": max(1, schedule.reasoner_steps),
            },
            seed=config.run.seed,
        )
    except ShardingError as exc:
        raise ConfigError(str(exc)) from None
    fresh = FreshOptimizers(trainer)
    start = resume_point(run.root, policies, trainer, accelerator)
    log = MetricsLog(run.metrics)
    if is_main:
        log.truncate_after(start.global_step)

    loop = _Loop(
        config, config.game.build(), run, images, policies, trainer, fresh, accelerator, log
    )
    for name in phases:
        if not run.phase_done(name):
            loop.run_phase(name, start)
        if name == schedule.stop_after:
            if is_main:
                console.print(
                    f"visplay: stopped after {name} (schedule.stop_after); rerun to resume"
                )
            break
    return run


@dataclass
class _Played:
    """What one rollout step produced: turns to train on, JSON records, metrics of the game."""

    turns: list[ScoredTurn]
    records: list[dict[str, Any]]
    metrics: dict[str, float]


class _Loop:
    """The three phases of an iteration over one set of policies, trainer and run directory."""

    def __init__(
        self,
        config: Config,
        game: VisPlayGameConfig,
        run: RunDir,
        images: ImageSource,
        policies: Policies,
        trainer: Trainer,
        fresh: FreshOptimizers,
        accelerator: Any,
        log: MetricsLog,
    ):
        self.config = config
        self.game = game
        self.run = run
        self.images = images
        self.policies = policies
        self.trainer = trainer
        self.fresh = fresh
        self.acc = accelerator
        self.log = log
        self.rank = accelerator.process_index
        self.is_main = accelerator.is_main_process
        self.seed = config.run.seed
        self.last_saved_step = -1

    # --- shared plumbing ------------------------------------------------------------------
    @property
    def global_step(self) -> int:
        """Optimizer steps made so far, over both roles and all phases."""
        return sum(self.trainer.steps.values())

    def iteration_dir(self, iteration: int) -> Path:
        return self.run.data / f"iter_{iteration}"

    def engine(self, *parts: object) -> CountingEngine:
        seed = derive_seed(self.seed, "engine", *parts, self.rank)
        return CountingEngine(
            rollout_engine(
                self.policies,
                seed,
                self.config.run.generation_token_budget,
                self.config.engine.vllm_settings(),
            )
        )

    def meta(self, iteration: int) -> dict[str, Any]:
        return {"recipe": RECIPE, "iteration": iteration}

    def finish(self, name: str, info: dict[str, Any]) -> None:
        """Write the phase's completion marker (after every artifact) on the main process."""
        if self.is_main:
            self.run.mark_phase(name, info)
        self.acc.wait_for_everyone()

    def run_phase(self, name: str, start: ResumePoint) -> None:
        kind, iteration = split_phase(name)
        if kind == "label":
            self.label_phase(name, iteration)
        elif kind == "questioner":
            steps = self.config.schedule.questioner_steps
            self.training_phase(name, iteration, "questioner", steps, start, self.play_questioner)
        else:
            kept = [
                LabelledQuestion.from_record(r)
                for r in read_jsonl(self.iteration_dir(iteration) / "kept.jsonl")
            ]
            steps = self.config.schedule.reasoner_steps if kept else 0
            if not kept and self.is_main:
                console.print(f"visplay: {name}: the kept set is empty, the reasoner is unchanged")

            def play(engine: Engine, name: str, iteration: int, step: int) -> _Played:
                return self.play_reasoner(engine, name, iteration, step, kept)

            self.training_phase(name, iteration, "reasoner", steps, start, play)

    # --- phases 1 and 3: GRPO on one role -------------------------------------------------
    def training_phase(
        self,
        name: str,
        iteration: int,
        role: str,
        steps: int,
        start: ResumePoint,
        play: Callable[[Engine, str, int, int], _Played],
    ) -> None:
        """Train `role` for `steps` rollout steps, checkpointing; resumes mid-phase."""
        first = min(start.start_step(name), steps)
        if first == 0:
            self.fresh.reset(role)  # a new optimizer per phase, as the code's separate runs
        if self.is_main:
            forget_phase_records(self.log, name, self.global_step)
        save_every = self.config.run.save_every
        progress, task = progress_bar(steps, name, disable=not self.is_main)
        with progress:
            progress.update(task, completed=first)
            for step in range(first, steps):
                before = self.global_step
                record = self.train_step(name, iteration, role, step, play)
                last = step == steps - 1
                crossed = save_every > 0 and self.global_step // save_every > before // save_every
                if last or (crossed and self.global_step > self.last_saved_step):
                    self.save(name, iteration, step + 1, phase_end=last)
                reward = record.get(f"role/{role}/reward_mean", 0.0)
                progress.update(task, advance=1, info=f"reward {reward:.3f}")
        summary = phase_summary(self.log, name) if self.is_main else {}
        if self.is_main:
            self.log.append(
                {
                    "step": self.global_step,
                    "phase": name,
                    "stage": role,
                    "iteration": iteration,
                    "summary": True,
                    **summary,
                }
            )
        # The newest checkpoint holds this phase's result (None: no step was ever trained).
        found = list_checkpoints(self.run.root)
        newest = found[-1][0] if found else None
        self.finish(name, {"steps": steps, "resumed_at_step": first, "checkpoint_step": newest})

    def train_step(
        self,
        name: str,
        iteration: int,
        role: str,
        step: int,
        play: Callable[[Engine, str, int, int], _Played],
    ) -> dict[str, Any]:
        """One rollout batch of `role` and its optimizer steps; logs and returns its record."""
        began = time.perf_counter()
        engine = self.engine(name, step)
        played = play(engine, name, iteration, step)
        rollout_seconds = time.perf_counter() - began
        samples = [Sample.from_turn(t, episode=f"{name}/{step}") for t in played.turns]
        advantages = compute_advantages(
            ADVANTAGE, [s.reward for s in samples], groups=[s.group for s in samples]
        )
        for sample, advantage in zip(samples, advantages, strict=True):
            sample.advantage = advantage
        stats = self.trainer.train(role, samples)
        record: dict[str, Any] = {
            "step": self.global_step,
            "phase": name,
            "stage": role,
            "iteration": iteration,
            "phase_step": step + 1,
            **prefixed(role, played.metrics),
            **sample_metrics(samples),
            **stats,
            "rollout_seconds": rollout_seconds,
            "generated_tokens": float(engine.tokens),
            "tokens_per_s": engine.tokens / rollout_seconds if rollout_seconds > 0 else 0.0,
        }
        records = gather(self.acc, played.records)
        if self.is_main:
            self.log.append(record)
            if step % self.config.run.log_rollouts_every == 0:
                extra = {"recipe": RECIPE, "phase": name, "iteration": iteration}
                extra |= {"phase_step": step + 1, "step": self.global_step}
                path = self.run.rollouts / name / f"step_{step + 1:05d}.jsonl"
                write_jsonl(path, [{**r, **extra} for r in records])
        return record

    def save(self, name: str, iteration: int, phase_step: int, *, phase_end: bool) -> None:
        state = {
            "phase": name,
            "iteration": iteration,
            "phase_step": phase_step,
            "phase_end": phase_end,
        }
        save_checkpoint(
            self.run.root,
            self.global_step,
            self.policies,
            self.trainer,
            self.acc,
            recipe_state=state,
            keep_last=None,
        )
        if self.is_main:
            prune_checkpoints(self.run.root, self.config.run.keep_last)
        self.acc.wait_for_everyone()
        self.last_saved_step = self.global_step

    def play_questioner(self, engine: Engine, name: str, iteration: int, step: int) -> _Played:
        """Questioner rollouts on a fresh draw of images, rewarded by the frozen reasoner."""
        draw = random.Random(derive_seed(self.seed, "images", name, step, self.rank))
        count = min(self.config.schedule.questioner_images_per_step, len(self.images.ids))
        loaded, unreadable = load_images(self.images, draw.sample(self.images.ids, count))
        episode = questioner_round(Context(), loaded, self.game, meta=self.meta(iteration))
        (played,) = run_episodes(engine, [episode])
        metrics = {**played.metrics, "unreadable_images": float(unreadable)}
        return _Played(played.turns, [r.to_record() for r in played.records], metrics)

    def play_reasoner(
        self,
        engine: Engine,
        name: str,
        iteration: int,
        step: int,
        kept: Sequence[LabelledQuestion],
    ) -> _Played:
        """Reasoner rollouts on a draw of kept questions, scored against their silver labels."""
        draw = random.Random(derive_seed(self.seed, "questions", name, step, self.rank))
        count = min(self.config.schedule.reasoner_questions_per_step, len(kept))
        chosen = draw.sample(list(kept), count)
        loaded = dict(load_images(self.images, sorted({q.image_id for q in chosen}))[0])
        items = [(q, loaded[q.image_id]) for q in chosen if q.image_id in loaded]
        episode = reasoner_round(Context(), items, self.game, meta=self.meta(iteration))
        (played,) = run_episodes(engine, [episode])
        metrics = {**played.metrics, "kept_questions": float(len(kept))}
        return _Played(played.turns, [r.to_record() for r in played.records], metrics)

    # --- phase 2: generate, pseudo-label, filter ------------------------------------------
    def pool(self, iteration: int) -> list[str]:
        """The images questions are generated for in this iteration (note §3.1)."""
        ids = self.images.ids
        count = min(self.config.schedule.pool_images, len(ids))
        if self.config.schedule.pool == "first":
            return ids[:count]
        return random.Random(derive_seed(self.seed, "pool", iteration)).sample(ids, count)

    def label_phase(self, name: str, iteration: int) -> None:
        """Generate and label questions for the pool with the current (pre-update) reasoner,
        keep the uncertain ones, and measure agreement with the previous iteration's labels."""
        began = time.perf_counter()
        if self.is_main:
            forget_phase_records(self.log, name, self.global_step)
        pool = self.pool(iteration)
        position = {image_id: k for k, image_id in enumerate(pool)}
        chunk = self.config.schedule.label_chunk_images
        mine = pool[self.rank :: self.acc.num_processes]
        batches = [mine[k : k + chunk] for k in range(0, len(mine), chunk)]
        labelled: list[LabelledQuestion] = []
        unreadable = 0
        tokens = 0
        progress, task = progress_bar(len(batches), name, disable=not self.is_main)
        with progress:
            for b, ids in enumerate(batches):
                loaded, missing = load_images(self.images, ids)
                unreadable += missing
                engine = self.engine(name, "batch", b)
                episode = label_questions(Context(), loaded, self.game, meta=self.meta(iteration))
                (result,) = run_episodes(engine, [episode])
                labelled.extend(result)
                tokens += engine.tokens
                progress.update(task, advance=1)
        records = gather(self.acc, [q.to_record() for q in labelled])
        records.sort(key=lambda r: (position[r["image_id"]], r["sample_index"]))
        everything = [LabelledQuestion.from_record(r) for r in records]
        kept = [r for r in records if r["kept"]]
        agreement, relabelled = self.relabel_previous(name, iteration)

        folder = self.iteration_dir(iteration)
        if self.is_main:
            tag = {"recipe": RECIPE, "phase": name, "iteration": iteration}
            write_jsonl(folder / "questions.jsonl", records)
            write_jsonl(folder / "kept.jsonl", kept)
            if relabelled is not None:
                write_jsonl(folder / "relabelled_previous.jsonl", relabelled)
            write_jsonl(self.run.rollouts / f"{name}.jsonl", [{**r, **tag} for r in records])
            seconds = time.perf_counter() - began
            summary = {
                **prefixed("label", labelling_metrics(everything)),
                **prefixed("label", agreement),
                "label/unreadable_images": float(unreadable),
                "label/pool_images": float(len(pool)),
                "label_seconds": seconds,
                "generated_tokens": float(tokens),
                "tokens_per_s": tokens / seconds if seconds > 0 else 0.0,
            }
            self.log.append(
                {
                    "step": self.global_step,
                    "phase": name,
                    "stage": "label",
                    "iteration": iteration,
                    "summary": True,
                    **summary,
                }
            )
        self.finish(name, {"questions": len(records), "kept": len(kept)})

    def relabel_previous(
        self, name: str, iteration: int
    ) -> tuple[dict[str, float], list[dict[str, Any]] | None]:
        """Silver-label agreement: the previous iteration's kept questions labelled again by the
        current reasoner (skipped in the first iteration)."""
        if iteration == 1:
            return {}, None
        previous = read_jsonl(self.iteration_dir(iteration - 1) / "kept.jsonl")
        mine = previous[self.rank :: self.acc.num_processes]
        chunk = self.config.schedule.label_chunk_images * self.game.questions_per_image
        relabelled: list[dict[str, Any]] = []
        for b, k in enumerate(range(0, len(mine), chunk)):
            questions = [LabelledQuestion.from_record(r) for r in mine[k : k + chunk]]
            loaded = dict(load_images(self.images, sorted({q.image_id for q in questions}))[0])
            items = [(q, loaded[q.image_id]) for q in questions if q.image_id in loaded]
            episode = relabel_questions(Context(), items, self.game, meta=self.meta(iteration))
            (result,) = run_episodes(self.engine(name, "relabel", b), [episode])
            relabelled.extend(q.to_record() for q in result)
        relabelled = gather(self.acc, relabelled)
        before = {r["question_id"]: r["label"] for r in previous}
        # A question the current reasoner no longer answers counts as a disagreement.
        after = {r["question_id"]: r["label"] or "" for r in relabelled}
        agreement = silver_label_agreement(before, after, timeout_s=self.game.grade_timeout_s)
        return agreement, relabelled
