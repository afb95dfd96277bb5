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
artifacts (see `mm_zero_store`) and then `phases/<name>.done`; every training phase ends with a
checkpoint. Running the same command again skips finished phases and resumes an unfinished one
from its last checkpoint, exactly: the rows of a step and the engine's seeds are functions of
the step's name, and each training phase reads its data back from the files of its data phase.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from typing import Any

from zeroplay.engines.base import Engine
from zeroplay.games.mm_zero import (
    codegen_round,
    coevolution_metrics,
    generate_proposals,
    proposer_round,
    render_rate_filter,
    seeds_for,
    solver_labelling,
    solver_round,
)
from zeroplay.games.protocol import Context
from zeroplay.models.loader import ModelNotFoundError
from zeroplay.recipes.common import (
    check_before_start,
    make_accelerator,
    prepare_run_dir,
    progress_bar,
    seed_everything,
    tracker_forwarder,
)
from zeroplay.recipes.config_io import ConfigError
from zeroplay.recipes.mm_zero.batches import (
    clamped_batch,
    cyclic_batch,
    offline_seed_rows,
    updates_per_step,
)
from zeroplay.recipes.mm_zero.config import Config
from zeroplay.recipes.mm_zero.engine import StepEngine, step_rng_states
from zeroplay.recipes.mm_zero.images import SolverImages
from zeroplay.recipes.mm_zero.prompts import within_prompt_cap
from zeroplay.recipes.mm_zero.store import (
    RECIPE,
    Phase,
    ResumePoint,
    flatten,
    iteration_dir,
    mean_of_keys,
    phase_plan,
    phase_step_records,
    prune_checkpoints,
    read_proposal_items,
    read_solver_items,
    resume_point,
    tagged,
    truncate_metrics,
    write_proposal_items,
    write_solver_items,
)
from zeroplay.recipes.mm_zero.weights import SNAPSHOT, PhaseTrainer, RolePolicies
from zeroplay.rl.advantages import compute_advantages
from zeroplay.rl.checkpoint import load_checkpoint, save_checkpoint
from zeroplay.rl.metrics import MetricsLog, sample_metrics
from zeroplay.rl.rollout import run_episodes
from zeroplay.rl.rundir import RunDir, atomic_write_json, read_jsonl, write_jsonl
from zeroplay.rl.samples import Sample
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

    accelerator = make_accelerator(config.trainer.mixed_precision, config.run.trackers, out)
    if accelerator.num_processes > 1:
        raise ConfigError(
            "the mm-zero recipe runs in one process (its roles share one GPU as LoRA adapters); "
            "launch it without accelerate's multi-process launcher"
        )
    check_before_start(out, config, config.model.name)
    run = prepare_run_dir(out, config)
    steps = {role: getattr(config, role).steps for role in ("proposer", "codegen", "solver")}
    plan = phase_plan(config.iterations, steps)
    if all(run.phase_done(phase.name) for phase in plan):
        return run
    seed_everything(config.run.seed)
    settings = config.model.settings()
    if settings.device == "auto":
        settings = replace(settings, device=str(accelerator.device))
    try:
        policies = RolePolicies.load_roles(
            settings,
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


def _derived_seed(*parts: Any) -> int:
    """A 63-bit seed from names (stable across processes, unlike `hash()`)."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


Play = Callable[[Context, list[Any], SolverImages, dict[str, Any]], Coroutine[Any, Any, Any]]


class _Loop:
    """The phases of a run, in order, with resume (see the module docstring)."""

    def __init__(
        self,
        config: Config,
        run: RunDir,
        accelerator: Any,
        policies: RolePolicies,
        renderer: Callable[[list[str]], Sequence[Any]],
        hooks: RunHooks,
    ):
        self.config = config
        self.run_dir = run
        self.accelerator = accelerator
        self.policies = policies
        self.renderer = renderer
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
        self.log = MetricsLog(run.metrics, tracker_forwarder(accelerator, RECIPE, config))
        self.holder = PhaseTrainer()
        self.progress: Any = None
        self.task: Any = None

    # --- the run --------------------------------------------------------------------------

    def run(self, plan: list[Phase]) -> None:
        resume = self._resume(plan)
        total = sum(p.steps for p in plan)
        done = max((p.last_step for p in plan if self.run_dir.phase_done(p.name)), default=0)
        self.progress, self.task = progress_bar(total, RECIPE, disable=not sys.stderr.isatty())
        with self.progress:
            self.progress.update(self.task, completed=resume.step if resume else done)
            for phase in plan:
                if self.run_dir.phase_done(phase.name):
                    continue
                self._show(phase.name)
                mid_phase = resume if resume is not None and resume.phase == phase.name else None
                getattr(self, f"_phase_{phase.kind}")(phase, mid_phase)

    def _resume(self, plan: list[Phase]) -> ResumePoint | None:
        """Restore the newest checkpoint. Returns it when it lies inside the first unfinished
        phase (that phase restores its trainer from it), else loads its weights here."""
        point = resume_point(self.run_dir)
        order = {phase.name: k for k, phase in enumerate(plan)}
        first = next(k for k, phase in enumerate(plan) if not self.run_dir.phase_done(phase.name))
        if point is None:
            if first > 0:
                raise ConfigError(
                    f"{self.run_dir.root} has finished phases but no checkpoint; "
                    "it cannot be resumed (choose another --out)"
                )
            truncate_metrics(self.run_dir, 0, self.run_dir.phase_done)
            return None
        if point.phase not in order or order[point.phase] > first:
            raise ConfigError(
                f"{self.run_dir.root}: checkpoint {point.path.name} ({point.phase}) is ahead of "
                f"the first unfinished phase {plan[first].name}; the run directory is inconsistent"
            )
        truncate_metrics(self.run_dir, point.step, self.run_dir.phase_done)
        if order[point.phase] == first:
            return point
        load_checkpoint(point.path, self.policies, PhaseTrainer(), self.accelerator)
        return None

    def _show(self, info: str) -> None:
        self.progress.update(self.task, info=info)

    # --- training phases ------------------------------------------------------------------

    def _phase_proposer(self, phase: Phase, resume: ResumePoint | None) -> None:
        game = self.game

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

        self._train_phase(phase, resume, list(self.seeds), play, examples)

    def _phase_codegen(self, phase: Phase, resume: ResumePoint | None) -> None:
        game = self.game
        items = read_proposal_items(self._folder(phase, "codegen") / "train_set.jsonl")

        def play(ctx: Context, batch: list[Any], images: SolverImages, meta: dict[str, Any]):
            return codegen_round(ctx, batch, images, game, meta=meta)

        def examples(result: Any) -> list[tuple[str, str]]:
            return [
                (f"{r.proposal_id}_svg{r.sample_index}", r.svg["code"])
                for r in result.records
                if r.rendered
            ]

        self._train_phase(phase, resume, items, play, examples)

    def _phase_solver(self, phase: Phase, resume: ResumePoint | None) -> None:
        game = self.game
        items = read_solver_items(self._folder(phase, "solver") / "train_set.jsonl")

        def play(ctx: Context, batch: list[Any], images: SolverImages, meta: dict[str, Any]):
            return solver_round(ctx, batch, game, meta=meta)

        self._train_phase(phase, resume, items, play, lambda result: [])

    def _train_phase(
        self,
        phase: Phase,
        resume: ResumePoint | None,
        items: list[Any],
        play: Play,
        examples: Callable[[Any], list[tuple[str, str]]],
    ) -> None:
        """GRPO on `phase.kind` for `phase.steps` steps over `items`, cycled (note §6)."""
        role = phase.kind
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
                seed=_derived_seed(self.seed, phase.name, "trainer"),
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
            **mean_of_keys(phase_step_records(self.run_dir, phase.name), "reward/"),
        }
        self._finish(phase, summary)

    def _begin_role(self, phase: Phase) -> None:
        """Set the trained role's starting weights and remember them (`phase_start`)."""
        if phase.kind == "solver" and self.game.solver_init == "base":
            self._restart_solver(phase.iteration)
        if self.policies.has_snapshot:
            self.policies.take_snapshot(phase.kind)

    def _restart_solver(self, iteration: int) -> None:
        """`solver_init="base"`: the Solver of iteration i starts (and labels) as the base model.
        Seeded by the iteration, so doing it again gives the same weights."""
        self.policies.restart_from_base("solver", _derived_seed(self.seed, iteration, "restart"))

    def _train_step(
        self,
        phase: Phase,
        k: int,
        batch: list[Any],
        play: Play,
        examples: Callable[[Any], list[tuple[str, str]]],
        trainer: Trainer,
    ) -> None:
        role = phase.kind
        step = phase.first_step + k
        self._show(f"{phase.name} step {k}/{phase.steps}")
        aliases = {}
        if role == "codegen" and self.game.codegen_judge == "codegen_init":
            aliases = {"solver": SNAPSHOT}  # the released "solver" service ran CodeGen weights
        engine = self._engine(phase, k, aliases)
        images = self._images(keep=self.config.run.render_examples)
        meta = {"iteration": phase.iteration, "step": step, "phase_step": k}
        began = time.perf_counter()
        (result,) = run_episodes(self._wrapped(engine), [play(Context(), batch, images, meta)])
        rollout_seconds = time.perf_counter() - began
        samples = [Sample.from_turn(turn) for turn in result.turns]
        advantages = compute_advantages(
            self.advantage, [s.reward for s in samples], groups=[s.group for s in samples]
        )
        for sample, advantage in zip(samples, advantages, strict=True):
            sample.advantage = advantage
        stats = trainer.train(role, samples)
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
            "generated_tokens": float(engine.generated_tokens),
            "tokens_per_s": engine.generated_tokens / max(rollout_seconds, 1e-9),
        }
        self.log.append(record)
        if step % self.config.run.log_rollouts_every == 0:
            tags = {"iteration": phase.iteration, "phase": phase.name, "step": step}
            path = self.run_dir.rollouts / phase.name / f"step_{step:06d}.jsonl"
            write_jsonl(path, tagged(result.records, **tags))
        folder = self._folder(phase, role) / "renders" / f"step_{step:06d}"
        images.save(examples(result), folder)
        save_every = self.config.run.save_every
        if save_every and k % save_every == 0 and k < phase.steps:
            self._checkpoint(phase, k, phase_end=False)
        self.progress.update(self.task, advance=1)
        if self.hooks.after_step is not None:
            self.hooks.after_step(phase.name, step)

    # --- data phases ----------------------------------------------------------------------

    def _phase_codegen_data(self, phase: Phase, resume: ResumePoint | None) -> None:
        """Offline proposals and the render-rate filter run by the CodeGen of v(i-1) (§4.6a)."""
        game, config = self.game, self.config
        folder = self._folder(phase, "codegen")
        rows = offline_seed_rows(self.seeds, config.codegen.proposals, f"{self.seed}:{phase.name}")
        images = self._images(keep=config.run.render_examples)
        meta = {"iteration": phase.iteration}
        start = time.perf_counter()

        async def play(ctx: Context) -> Any:
            prefix = f"i{phase.iteration}c-"
            batch = await generate_proposals(
                ctx, rows, game, phase="codegen", id_prefix=prefix, meta=meta
            )
            return batch, await render_rate_filter(ctx, batch.items, images, game, meta=meta)

        (batch, kept), seconds = self._play_data(phase, play)
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
        self._finish(phase, summary)

    def _phase_solver_data(self, phase: Phase, resume: ResumePoint | None) -> None:
        """Proposals from Proposer v(i), one SVG each from CodeGen v(i), rendered, labelled by
        the Solver that starts the phase, filtered (§4.6b-c)."""
        game, config = self.game, self.config
        folder = self._folder(phase, "solver")
        if game.solver_init == "base":
            self._restart_solver(phase.iteration)
        rows = offline_seed_rows(self.seeds, config.solver.proposals, f"{self.seed}:{phase.name}")
        images = self._images(keep=None)  # every render is kept: they are the training images
        meta = {"iteration": phase.iteration}
        start = time.perf_counter()

        async def play(ctx: Context) -> Any:
            prefix = f"i{phase.iteration}s-"
            batch = await generate_proposals(
                ctx, rows, game, phase="solver", id_prefix=prefix, meta=meta
            )
            return batch, await solver_labelling(ctx, batch.items, images, game, meta=meta)

        (batch, labelled), seconds = self._play_data(phase, play)
        tags = {"iteration": phase.iteration, "phase": phase.name}
        images.save(
            ((r.proposal_id, r.code) for r in labelled.records if r.rendered), folder / "renders"
        )
        write_jsonl(folder / "proposals.jsonl", tagged(batch.records, **tags))
        write_jsonl(folder / "labels.jsonl", tagged(labelled.records, **tags))
        # The released code's prompt cap (solver.max_prompt_tokens; 0 keeps everything).
        train_set, over_cap = within_prompt_cap(
            labelled.items, self.policies.processor, config.solver.max_prompt_tokens
        )
        write_solver_items(folder / "train_set.jsonl", train_set, "renders")
        summary = {
            "solver_prompts_over_cap": over_cap,
            **{f"proposals/{key}": value for key, value in batch.metrics.items()},
            **{f"labelling/{key}": value for key, value in labelled.metrics.items()},
            "rollout_seconds": seconds,
            "seconds": time.perf_counter() - start,
        }
        self._finish(phase, summary)

    def _phase_coevolution(self, phase: Phase, resume: ResumePoint | None) -> None:
        """The §8 panels of the iteration, from its files only."""
        folder = iteration_dir(self.run_dir, phase.iteration)
        metrics = coevolution_metrics(
            proposals=read_jsonl(folder / "solver" / "proposals.jsonl"),
            labelling=read_jsonl(folder / "solver" / "labels.jsonl"),
            render_filter=read_jsonl(folder / "codegen" / "render_filter.jsonl"),
        )
        atomic_write_json(folder / "coevolution.json", metrics)
        self._finish(phase, {"kind": "coevolution", **flatten(metrics, "coevolution/")})

    def _play_data(self, phase: Phase, play: Callable[[Context], Any]) -> tuple[Any, float]:
        engine = self._engine(phase, 0, {})
        began = time.perf_counter()
        (result,) = run_episodes(self._wrapped(engine), [play(Context())])
        return result, time.perf_counter() - began

    # --- shared pieces --------------------------------------------------------------------

    def _folder(self, phase: Phase, role: str) -> Any:
        return iteration_dir(self.run_dir, phase.iteration) / role

    def _engine(self, phase: Phase, k: int, aliases: dict[str, str]) -> StepEngine:
        """The engine for step `k` of `phase` (0: a data phase), re-seeded from their names."""
        count = len(self.engine.rng_state())
        self.engine.set_rng_state(step_rng_states(self.seed, phase.name, k, count))
        return StepEngine(self.engine, aliases)

    def _wrapped(self, engine: Engine) -> Engine:
        return self.hooks.wrap_engine(engine) if self.hooks.wrap_engine else engine

    def _images(self, keep: int | None) -> SolverImages:
        render = self.config.render
        return SolverImages(self.renderer, render.min_pixels, render.max_pixels, keep=keep)

    def _checkpoint(self, phase: Phase, k: int, *, phase_end: bool) -> None:
        state = {
            "iteration": phase.iteration,
            "phase": phase.name,
            "phase_step": k,
            "phase_end": phase_end,
        }
        save_checkpoint(
            self.run_dir.root,
            phase.first_step + k,
            self.policies,
            self.holder,
            self.accelerator,
            recipe_state=state,
            keep_last=None,
        )
        prune_checkpoints(self.run_dir, self.config.run.keep_last)

    def _finish(self, phase: Phase, summary: dict[str, Any]) -> None:
        """Append the phase's summary record, then write its completion marker."""
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
        self.run_dir.mark_phase(phase.name, {"step": phase.last_step})
