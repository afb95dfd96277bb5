"""MM-Zero (arXiv 2603.09206): a Proposer, a CodeGen and a Solver evolve from one VLM, no images.

Three roles start from one base model (LoRA adapters on it, or full copies with
`model.mode=separate`) and each continues from its own previous version. Every iteration i runs
six phases (reference/mm_zero.md §6, docs/mm_zero.md):

    iter_i.proposer      GRPO on the Proposer; the frozen CodeGen draws SVGs for its proposals
                         and the frozen Solver judges the renders (note §4.1)
    iter_i.codegen_data  fresh proposals, kept when the starting CodeGen renders 1-3 of 4 (§4.6a)
    iter_i.codegen       GRPO on the CodeGen over the kept proposals; the judge is the CodeGen's
                         starting weights or the Solver (`game.codegen_judge`, §11.1)
    iter_i.solver_data   fresh proposals, one SVG each from the new CodeGen, rendered, labelled
                         by the starting Solver's majority vote and filtered (§4.6b-c, §5)
    iter_i.solver        GRPO on the Solver against those labels (continuing, or restarted from
                         the base model: `game.solver_init`, §11.11)
    iter_i.coevolution   the co-evolution metrics of §8 from the iteration's stored records

Roles that are not training answer through the same in-process engine. Each phase writes its
artifacts (see `store`) and then `phases/<name>.done` (`zeroplay.runtime.phases`); every
training phase ends with a checkpoint. Running the same command again skips finished phases and
resumes an unfinished one from its last checkpoint, exactly: the rows of a step and the seeds of
its requests are functions of the step's name, and each training phase reads its data back from
the files of its data phase. The data phases are in `data_phases.py`.

Under `accelerate launch` every rank plays every round on the whole batch; the generation and
rendering inside it are split over the ranks and gathered back (`runtime.ShardedEngine`,
`images.sharded_render`), so votes, batch-wide penalties and filters are computed on all of it,
the same on every rank, and each rank trains the samples it generated. N processes give what
one process gives. Files are written by the main process; phase markers are barriers.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from zeroplay import runtime
from zeroplay.engines.base import Engine
from zeroplay.games.mm_zero import seeds_for
from zeroplay.games.protocol import Context
from zeroplay.models.loader import ModelNotFoundError
from zeroplay.recipes.config_io import ConfigError
from zeroplay.recipes.mm_zero import data_phases
from zeroplay.recipes.mm_zero.batches import clamped_batch, cyclic_batch, updates_per_step
from zeroplay.recipes.mm_zero.config import Config
from zeroplay.recipes.mm_zero.images import SolverImages, sharded_render
from zeroplay.recipes.mm_zero.rounds import Examples, Play, phase_round
from zeroplay.recipes.mm_zero.seeds import derived_seed
from zeroplay.recipes.mm_zero.store import RECIPE, Phase, iteration_dir, phase_plan, tagged
from zeroplay.recipes.mm_zero.weights import SNAPSHOT, PhaseTrainer, load_roles
from zeroplay.rl.checkpoint import load_checkpoint, load_weights
from zeroplay.rl.metrics import MetricsLog, sample_metrics
from zeroplay.rl.policies import Policies
from zeroplay.rl.rollout import run_episodes
from zeroplay.rl.rundir import RunDir, write_jsonl
from zeroplay.rl.sharding import fsdp_requested
from zeroplay.rl.trainer import Trainer

__all__ = ["DEFAULT_PRESET", "SHORTCUTS", "Config", "RunHooks", "train"]

DEFAULT_PRESET = "tiny"
SHORTCUTS: dict[str, str] = {}  # MM-Zero reads no input data: its images are drawn by CodeGen


@dataclass
class RunHooks:
    """Seams for tests (never set by the CLI).

    `wrap_engine` wraps the engine of every step and data phase (e.g. to script replies);
    `after_step(phase, step)` runs after each training step and its checkpoint; raising from
    it simulates a crash there.
    """

    wrap_engine: Callable[[Engine], Engine] | None = None
    after_step: Callable[[str, int], None] | None = None


def train(config: Config, out: str | os.PathLike[str], *, hooks: RunHooks | None = None) -> RunDir:
    """Run (or resume) MM-Zero in the run directory `out`; returns it."""
    from zeroplay.data.svg import SvgRenderer

    if fsdp_requested(config.trainer.sharding):
        raise ConfigError(
            "mm-zero does not shard weights (FSDP2): use trainer.sharding=none and a DDP "
            "accelerate config (configs/accelerate/ddp.yaml)"
        )
    # LoRA: the three roles' adapters sit in one DDP-wrapped model and a phase trains one.
    accelerator = runtime.make_accelerator(
        config.trainer.mixed_precision,
        config.run.trackers,
        out,
        find_unused_parameters=config.model.mode == "lora",
    )
    runtime.check_before_start(out, config, config.model.name)
    is_main = accelerator.is_main_process
    run = runtime.prepare_run_dir(out, config, is_main=is_main)
    accelerator.wait_for_everyone()
    steps = {role: getattr(config, role).steps for role in ("proposer", "codegen", "solver")}
    plan = phase_plan(config.iterations, steps)
    if all(run.phase_done(phase.name) for phase in plan):
        return run
    # The same seed on every rank: the same initial weights, and every later draw is named.
    runtime.seed_everything(config.run.seed)
    try:
        policies = load_roles(
            runtime.on_accelerator(config.model.settings(), accelerator),
            config.model.mode,
            config.model.lora.build() if config.model.mode == "lora" else None,
            snapshot=config.needs_snapshot,
            # Without a KL term no reference is ever asked for.
            kl_reference=config.kl_reference if config.trainer.loss.kl_coef > 0 else "base",
        )
    except ModelNotFoundError as exc:
        raise ConfigError(str(exc)) from None
    # One sandboxed renderer pool for the whole run, closed however the run ends.
    with SvgRenderer(config.render.build()) as renderer:
        _Loop(config, run, accelerator, policies, renderer, hooks or RunHooks()).run(plan)
    return run


class _Loop:
    """The phases of a run, in order, with resume (see the module docstring)."""

    def __init__(
        self,
        config: Config,
        run: RunDir,
        accelerator: Any,
        policies: Policies,
        renderer: Callable[[list[str]], Sequence[Any]],
        hooks: RunHooks,
    ):
        self.config = config
        self.run_dir = run
        self.accelerator = accelerator
        self.rank = accelerator.process_index
        self.is_main = accelerator.is_main_process
        self.policies = policies
        self.renderer = sharded_render(accelerator, renderer)
        self.hooks = hooks
        self.game = config.game.build()
        self.advantage = config.advantage.build()
        self.seed = config.run.seed
        self.seeds = seeds_for(self.game, seed=self.seed)
        self.engine = policies.engine(
            seed=self.seed,
            token_budget=config.run.generation_token_budget,
            vllm=config.engine.vllm_settings(),
        )
        self.log = MetricsLog(run.metrics, runtime.tracker_forwarder(accelerator, RECIPE, config))
        self.holder = PhaseTrainer()
        self.phases: runtime.Phases
        self.progress: Any = None
        self.task: Any = None

    # --- the run --------------------------------------------------------------------------

    def run(self, plan: list[Phase]) -> None:
        self.phases = runtime.Phases(self.run_dir, [phase.name for phase in plan])
        resume = self._resume(plan)
        total = sum(p.steps for p in plan)
        done = max((p.last_step for p in plan if self.phases.done(p.name)), default=0)
        self.progress, self.task = runtime.progress_bar(
            total, RECIPE, disable=not (self.is_main and sys.stderr.isatty())
        )
        with self.progress:
            self.progress.update(self.task, completed=resume.step if resume else done)
            for phase in plan:
                if self.phases.done(phase.name):
                    continue
                self._show(phase.name)
                mid_phase = resume if resume is not None and resume.phase == phase.name else None
                if phase.is_training:
                    self._train_phase(phase, mid_phase)
                else:
                    getattr(data_phases, phase.kind)(self, phase)

    def _resume(self, plan: list[Phase]) -> runtime.ResumePoint | None:
        """Restore the newest checkpoint. Returns it when it lies inside the first unfinished
        phase (that phase restores its trainer from it), else loads its weights here."""
        point = self.phases.resume_point()
        first = self.phases.pending()[0]
        if point is None:
            if first != plan[0].name:
                raise ConfigError(
                    f"{self.run_dir.root} has finished phases but no checkpoint; "
                    "it cannot be resumed (choose another --out)"
                )
            self._truncate_metrics(0)
            return None
        self._truncate_metrics(point.step)
        if point.phase == first:
            return point
        load_weights(point.path, self.policies, self.accelerator)
        return None

    def _truncate_metrics(self, step: int) -> None:
        if self.is_main:
            self.phases.truncate_metrics(step)
        self.accelerator.wait_for_everyone()

    def _show(self, info: str) -> None:
        self.progress.update(self.task, info=info)

    # --- training phases ------------------------------------------------------------------

    def _train_phase(self, phase: Phase, resume: runtime.ResumePoint | None) -> None:
        """GRPO on `phase.kind` for `phase.steps` steps over its items, cycled (note §6)."""
        role = phase.kind
        folder = iteration_dir(self.run_dir, phase.iteration)
        items, play, examples = phase_round(phase, self.game, self.seeds, folder)
        section = getattr(self.config, role)
        start = time.perf_counter()
        self.holder = PhaseTrainer()
        size = clamped_batch(section.rollout_batch, len(items)) if items else 0
        updates = updates_per_step(size, section.global_batch) if items else 0
        trainer = None
        if items:
            trainer = Trainer(
                self.policies,
                self.config.trainer.model_copy(update={"mini_batches": updates}),
                self.accelerator,
                {role: phase.steps},
                seed=derived_seed(self.seed, phase.name, "trainer"),
            )
            self.holder.start(role, trainer)
        first = 0
        if resume is not None:
            load_checkpoint(resume.path, self.policies, self.holder, self.accelerator)
            first = resume.phase_step
        else:
            self._begin_role(phase)
        if trainer is not None:
            for k in range(first + 1, phase.steps + 1):
                batch = cyclic_batch(items, size, k - 1, f"{self.seed}:{phase.name}")
                self._train_step(phase, k, batch, play, examples, trainer)
        else:
            self.progress.update(self.task, advance=phase.steps - first)
        self._checkpoint(phase, phase.steps, phase_end=True)
        summary = {
            "train_set_size": len(items),
            "rollout_batch": size,
            "updates_per_step": updates,
            "skipped": None if items else "no training data",
            "seconds": time.perf_counter() - start,
        }
        if self.is_main:  # the step records are in the main process's metrics file
            summary |= runtime.mean_of_numbers(self.phases.step_records(phase.name), "reward/")
        self.finish(phase, summary)

    def _begin_role(self, phase: Phase) -> None:
        """Set the trained role's starting weights and remember them (`phase_start`)."""
        if phase.kind == "solver" and self.game.solver_init == "base":
            self.restart_solver(phase.iteration)
        if self.policies.has_anchor:
            self.policies.take_snapshot(phase.kind)

    def restart_solver(self, iteration: int) -> None:
        """`solver_init="base"`: the Solver of iteration i starts (and labels) as the base model.
        Seeded by the iteration, so doing it again gives the same weights."""
        self.policies.restart_from_base("solver", derived_seed(self.seed, iteration, "restart"))

    def _train_step(
        self,
        phase: Phase,
        k: int,
        batch: list[Any],
        play: Play,
        examples: Examples,
        trainer: Trainer,
    ) -> None:
        role = phase.kind
        step = phase.first_step + k
        self._show(f"{phase.name} step {k}/{phase.steps}")
        aliases = {}
        if role == "codegen" and self.game.codegen_judge == "codegen_init":
            aliases = {"solver": SNAPSHOT}  # the released "solver" service ran CodeGen weights
        engine = self.step_engine(phase, k, aliases)
        images = self.images(keep=self.config.run.render_examples)
        meta = {"iteration": phase.iteration, "step": step, "phase_step": k}
        began = time.perf_counter()
        (result,) = run_episodes(self.wrapped(engine), [play(Context(), batch, images, meta)])
        rollout_seconds = time.perf_counter() - began
        control = self.config.control.stream(self.config.run.seed, phase.name, k)
        samples, stats = runtime.train_on_turns(
            trainer, role, result.turns, self.advantage, rank=self.rank, control=control
        )
        record = {
            "step": step,
            "phase": phase.name,
            "stage": role,
            "iteration": phase.iteration,
            "phase_step": k,
            **{f"reward/{key}": value for key, value in result.metrics.items()},
            **sample_metrics(samples),
            "update_seconds": 0.0,
            **stats,
            "rollout_seconds": rollout_seconds,
            "generated_tokens": float(engine.tokens),
            "tokens_per_s": engine.tokens / max(rollout_seconds, 1e-9),
        }
        if self.is_main:
            self.log.append(record)
            if step % self.config.run.log_rollouts_every == 0:
                tags = {"iteration": phase.iteration, "phase": phase.name, "step": step}
                path = self.run_dir.rollouts / phase.name / f"step_{step:06d}.jsonl"
                write_jsonl(path, tagged(result.records, **tags))
            renders = self.folder(phase, role) / "renders" / f"step_{step:06d}"
            images.save(examples(result), renders)
        save_every = self.config.run.save_every
        if save_every and k % save_every == 0 and k < phase.steps:
            self._checkpoint(phase, k, phase_end=False)
        self.progress.update(self.task, advance=1)
        if self.hooks.after_step is not None:
            self.hooks.after_step(phase.name, step)

    # --- shared pieces (the data phases use them too) -------------------------------------

    def folder(self, phase: Phase, role: str) -> Any:
        return iteration_dir(self.run_dir, phase.iteration) / role

    def step_engine(self, phase: Phase, k: int, aliases: dict[str, str]) -> runtime.StepEngine:
        """The engine for step `k` of `phase` (0: a data phase), sharded over the ranks; its
        requests are seeded from the names, so a resumed step samples what it did."""
        seed = derived_seed(self.seed, phase.name, k, "requests")
        return runtime.StepEngine(
            runtime.ShardedEngine(self.engine, self.accelerator, seed), aliases
        )

    def wrapped(self, engine: Engine) -> Engine:
        return self.hooks.wrap_engine(engine) if self.hooks.wrap_engine else engine

    def images(self, keep: int | None) -> SolverImages:
        render = self.config.render
        return SolverImages(self.renderer, render.min_pixels, render.max_pixels, keep=keep)

    def _checkpoint(self, phase: Phase, k: int, *, phase_end: bool) -> None:
        runtime.save_phase_checkpoint(
            self.run_dir,
            phase.first_step + k,
            self.policies,
            self.holder,
            self.accelerator,
            phase=phase.name,
            iteration=phase.iteration,
            phase_step=k,
            phase_end=phase_end,
            keep_last=self.config.run.keep_last,
            count_boundaries=False,
        )

    def finish(self, phase: Phase, summary: dict[str, Any]) -> None:
        """Append the phase's summary record, then write its completion marker (a barrier:
        the other ranks read the phase's files after it)."""
        if self.is_main:
            self.log.append(
                {
                    "summary": True,
                    "step": phase.last_step,
                    "phase": phase.name,
                    "stage": phase.kind,
                    "iteration": phase.iteration,
                    **summary,
                }
            )
        self.phases.mark(phase.name, {"step": phase.last_step}, self.accelerator)
