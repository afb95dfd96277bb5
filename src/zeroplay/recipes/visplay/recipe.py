"""VisPlay (arXiv 2511.15661): a Questioner and a Reasoner improve each other on unlabeled images.

Both roles start from one base model (two LoRA adapters, or two full copies with
`model.mode=separate`) and each continues from its own previous version. Every iteration i runs
three phases (reference/visplay.md §4, docs/visplay.md):

    questioner_i   GRPO on the questioner; its reward asks the frozen current reasoner (the
                   reasoner adapter is simply not trained in this phase)
    label_i        the questioner writes `questions_per_image` questions per pool image, the same
                   reasoner answers each m times, the uncertain majority-labelled ones are kept
                   (`labelling.py`)
    reasoner_i     GRPO on the reasoner against the kept set's silver labels

Each phase writes its artifacts (rollouts, `data/iter_i/*.jsonl`, checkpoints) and then
`phases/<name>.done` (`zeroplay.runtime.phases`). Running the same command again skips finished
phases and restarts an unfinished one from its last checkpoint (or its start). The KL term is
anchored at the base model, or (`kl_reference=phase_start`) at the role's weights when its
phase began, as in the released code.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from zeroplay import runtime
from zeroplay.engines.base import Engine
from zeroplay.engines.vllm import VLLMSettings
from zeroplay.games.visplay import LabelledQuestion, VisPlayGameConfig
from zeroplay.recipes.visplay import labelling
from zeroplay.recipes.visplay.config import ROLES, Config, phase_names, split_phase
from zeroplay.recipes.visplay.images import ImageSource, open_generated_images, open_user_images
from zeroplay.recipes.visplay.rounds import Play, Played, play_questioner, play_reasoner
from zeroplay.recipes.visplay.state import (
    FreshOptimizers,
    derive_seed,
    make_two_role_accelerator,
    prefixed,
)
from zeroplay.rl.advantages import AdvantageSpec
from zeroplay.rl.checkpoint import list_checkpoints, load_checkpoint
from zeroplay.rl.metrics import MetricsLog, sample_metrics
from zeroplay.rl.policies import Policies
from zeroplay.rl.rundir import RunDir, read_jsonl, write_jsonl
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
    accelerator = make_two_role_accelerator(
        config.model.mode, config.trainer.mixed_precision, config.run.trackers, out
    )
    is_main = accelerator.is_main_process
    images = open_user_images(config.data)  # checked before the run directory is made
    runtime.check_before_start(out, config.identity(), config.model.name)
    run = runtime.prepare_run_dir(out, config.identity(), is_main=is_main)
    accelerator.wait_for_everyone()
    phases = runtime.Phases(run, phase_names(config.schedule.iterations))
    if phases.all_done():
        return run
    if images is None:
        images = open_generated_images(
            config.data,
            run.data / "images",
            config.run.seed,
            is_main=is_main,
            wait=accelerator.wait_for_everyone,
        )
    runtime.seed_everything(config.run.seed, accelerator.process_index)

    anchored = config.kl_reference == "phase_start"
    policies = Policies.load(
        runtime.on_accelerator(config.model.settings(), accelerator),
        ROLES,
        config.model.mode,
        config.model.lora.build(),
        anchor=anchored,
        kl_reference=config.kl_reference,
    )
    if config.trainer.loss.kl_coef > 0 and not anchored:
        # Make the KL anchors now, from the base weights, before a checkpoint is loaded: every
        # phase of every iteration is anchored at the base model (LoRA: adapters disabled).
        for role in ROLES:
            with policies.reference(role):
                pass
    schedule = config.schedule
    steps = {"questioner": schedule.questioner_steps, "reasoner": schedule.reasoner_steps}
    trainer = runtime.build_trainer(
        policies,
        config.trainer,
        accelerator,
        {role: max(1, count) for role, count in steps.items()},
        config.run.seed,
    )
    fresh = FreshOptimizers(trainer)
    start = phases.resume_point()
    if start is not None:
        load_checkpoint(start.path, policies, trainer, accelerator)
    if is_main:
        phases.truncate_metrics(start.step if start else 0)

    loop = _Loop(config, config.game.build(), phases, images, policies, trainer, fresh, accelerator)
    for name in phases.names:
        if not phases.done(name):
            loop.run_phase(name, start)
        if name == schedule.stop_after:
            if is_main:
                console.print(
                    f"visplay: stopped after {name} (schedule.stop_after); rerun to resume"
                )
            break
    if loop.log.forward is not None:
        accelerator.end_training()  # flush and close the trackers
    return run


class _Loop:
    """The three phases of an iteration over one set of policies, trainer and run directory."""

    def __init__(
        self,
        config: Config,
        game: VisPlayGameConfig,
        phases: runtime.Phases,
        images: ImageSource,
        policies: Policies,
        trainer: Trainer,
        fresh: FreshOptimizers,
        accelerator: Any,
    ):
        self.config = config
        self.game = game
        self.phases = phases
        self.run = phases.run
        self.images = images
        self.policies = policies
        self.trainer = trainer
        self.fresh = fresh
        self.acc = accelerator
        forward = runtime.tracker_forwarder(accelerator, RECIPE, config.identity())
        self.log = MetricsLog(self.run.metrics, forward)
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

    def engine(self, *parts: object) -> runtime.StepEngine:
        seed = derive_seed(self.seed, "engine", *parts, self.rank)
        budget = self.config.run.generation_token_budget
        vllm = self.config.engine.vllm_settings()
        return runtime.StepEngine(rollout_engine(self.policies, seed, budget, vllm))

    def meta(self, iteration: int) -> dict[str, Any]:
        return {"recipe": RECIPE, "iteration": iteration}

    def run_phase(self, name: str, start: runtime.ResumePoint | None) -> None:
        kind, iteration = split_phase(name)
        first = start.start_step(name) if start is not None else 0
        if kind == "label":
            labelling.label_phase(self, name, iteration)
        elif kind == "questioner":
            steps = self.config.schedule.questioner_steps
            self.training_phase(name, iteration, "questioner", steps, first, play_questioner)
        else:
            kept = [
                LabelledQuestion.from_record(r)
                for r in read_jsonl(self.iteration_dir(iteration) / "kept.jsonl")
            ]
            steps = self.config.schedule.reasoner_steps if kept else 0
            if not kept and self.is_main:
                console.print(f"visplay: {name}: the kept set is empty, the reasoner is unchanged")

            def play(loop: _Loop, engine: Engine, name: str, iteration: int, step: int) -> Played:
                return play_reasoner(loop, engine, name, iteration, step, kept)

            self.training_phase(name, iteration, "reasoner", steps, first, play)

    # --- phases 1 and 3: GRPO on one role -------------------------------------------------
    def training_phase(
        self, name: str, iteration: int, role: str, steps: int, first: int, play: Play
    ) -> None:
        """Train `role` for `steps` rollout steps from step `first`, checkpointing."""
        first = min(first, steps)
        if first == 0:
            self.fresh.reset(role)  # a new optimizer per phase, as the code's separate runs
            if self.policies.has_anchor:
                self.policies.take_snapshot(role)  # this phase's KL anchor
        save_every = self.config.run.save_every
        progress, task = runtime.progress_bar(steps, name, disable=not self.is_main)
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
        if self.is_main:
            records = self.phases.step_records(name)
            summary = runtime.mean_of_numbers(records, skip=("step", "phase_step", "iteration"))
            self.log.append(
                {
                    "step": self.global_step,
                    "phase": name,
                    "stage": role,
                    "iteration": iteration,
                    "summary": True,
                    **summary,
                    "steps": float(len(records)),
                }
            )
        # The newest checkpoint holds this phase's result (None: no step was ever trained).
        found = list_checkpoints(self.run.root)
        newest = found[-1][0] if found else None
        info = {"steps": steps, "resumed_at_step": first, "checkpoint_step": newest}
        self.phases.mark(name, info, self.acc)

    def train_step(self, name: str, iteration: int, role: str, step: int, play: Play) -> dict:
        """One rollout batch of `role` and its optimizer steps; logs and returns its record."""
        began = time.perf_counter()
        engine = self.engine(name, step)
        played = play(self, engine, name, iteration, step)
        rollout_seconds = time.perf_counter() - began
        episode = f"{name}/{step}"
        control = self.config.control.stream(self.config.run.seed, name, step)
        samples, stats = runtime.train_on_turns(
            self.trainer, role, played.turns, ADVANTAGE, episode, control=control
        )
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
        records = runtime.gather_lists(self.acc, played.records)
        if self.is_main:
            self.log.append(record)
            if step % self.config.run.log_rollouts_every == 0:
                extra = {"recipe": RECIPE, "phase": name, "iteration": iteration}
                extra |= {"phase_step": step + 1, "step": self.global_step}
                path = self.run.rollouts / name / f"step_{step + 1:05d}.jsonl"
                write_jsonl(path, [{**r, **extra} for r in records])
        return record

    def save(self, name: str, iteration: int, phase_step: int, *, phase_end: bool) -> None:
        runtime.save_phase_checkpoint(
            self.run,
            self.global_step,
            self.policies,
            self.trainer,
            self.acc,
            phase=name,
            iteration=iteration,
            phase_step=phase_step,
            phase_end=phase_end,
            keep_last=self.config.run.keep_last,
            count_boundaries=True,
        )
        self.last_saved_step = self.global_step
