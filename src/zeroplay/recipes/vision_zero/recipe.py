"""The Vision-Zero recipe: "Who is the spy?" self-play with Iterative-SPO (arXiv 2509.25541).

One iteration = one optimizer step of the single shared policy:

    games   = this rank's slice of the game stream (pair, spy seat, seed: a function of k)
    results = play every game: R clue rounds, then the decision (batched over games)
    A       = clue turns: reward - role baseline (RAE); decision turns: z-score per vote group
    train on the samples of the active stage only (both stages were played)
    controller.update(decision counts summed over ranks) -> the stage of the next iteration
    log, write rollouts, checkpoint (weights, optimizer, controller, baselines, engine RNG)

Running the same command again resumes from the last checkpoint. See docs/vision_zero.md.
"""

from __future__ import annotations

import os
import time
from functools import cache
from pathlib import Path
from typing import Any

from zeroplay import runtime
from zeroplay.games.protocol import Context
from zeroplay.games.vision_zero import (
    StageController,
    VisionZeroGameConfig,
    decision_stats,
    game_statistics,
    play_game,
)
from zeroplay.recipes.config_io import ConfigError
from zeroplay.recipes.vision_zero.advantages import (
    assign_advantages,
    baseline_metrics,
    new_baselines,
)
from zeroplay.recipes.vision_zero.config import Config
from zeroplay.recipes.vision_zero.data import (
    GameStream,
    check_domains,
    find_pairs,
    game_indices,
    user_pairs,
)
from zeroplay.recipes.vision_zero.ranks import combine_over_ranks, sum_decision_stats
from zeroplay.rl.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from zeroplay.rl.metrics import MetricsLog, sample_metrics
from zeroplay.rl.reward_control import permute_rewards
from zeroplay.rl.rollout import run_episodes
from zeroplay.rl.rundir import RunDir, write_jsonl
from zeroplay.rl.samples import Sample

__all__ = ["DEFAULT_PRESET", "SHORTCUTS", "Config", "VisionZeroRun", "train"]

DEFAULT_PRESET = "toy"
SHORTCUTS = {"data": "data.path"}
RECIPE = "vision-zero"
POLICY = "default"  # one policy plays every seat and the judge (self-play)
PHASE = "train"


_COUNTS = frozenset({"games", "samples", "trained_samples", "completion_tokens"})


def _is_count(key: str) -> bool:
    """Metrics summed (not averaged) over ranks."""
    return key in _COUNTS or key.endswith("/count")


class VisionZeroRun:
    """The state of one run on one rank: policy, trainer, engine, controller, baselines, data."""

    def __init__(self, config: Config, out: str | os.PathLike[str], accelerator: Any = None):
        self.config = config
        self.acc = accelerator or runtime.make_accelerator(
            config.trainer.mixed_precision, config.run.trackers, out
        )
        self.rank, self.world = self.acc.process_index, self.acc.num_processes
        games = config.schedule.games_per_step
        if games % self.world:
            raise ConfigError(
                f"schedule.games_per_step ({games}) must divide by the number of processes "
                f"({self.world}): every rank plays the same number of games"
            )
        self.games_per_rank = games // self.world
        self.is_main = self.acc.is_main_process
        if self.is_main:
            self.run = runtime.prepare_run_dir(out, config)
        self.acc.wait_for_everyone()
        if not self.is_main:
            self.run = runtime.prepare_run_dir(out, config, is_main=False)

        pairs, folder = find_pairs(
            config.data,
            self.run.root,
            config.run.seed,
            is_main=self.is_main,
            barrier=self.acc.wait_for_everyone,
        )
        check_domains(pairs, config.game.domain, folder)
        self.data_folder = folder
        self.stream = GameStream(
            pairs,
            config.run.seed,
            _game_configs(config),
            config.data.min_pixels,
            config.data.max_pixels,
        )

        # Same initial weights (and LoRA init) on every rank; then each rank its own stream.
        runtime.seed_everything(config.run.seed)
        self.policies = runtime.load_policies(
            config.model.settings(),
            self.acc,
            [POLICY],
            config.model.mode,
            config.model.lora.build(),
        )
        runtime.seed_everything(config.run.seed, self.rank)
        self.trainer = runtime.build_trainer(
            self.policies,
            config.trainer,
            self.acc,
            {POLICY: config.schedule.steps},
            config.run.seed,
        )
        self.engine = self.policies.engine(
            seed=config.run.seed * 1000 + self.rank,
            token_budget=config.run.generation_token_budget,
            vllm=config.engine.vllm_settings(),
        )
        self.controller = StageController(config.controller.build())
        self.specs = {
            "clue": config.advantages.clue.build(),
            "decision": config.advantages.decision.build(),
        }
        self.baselines = new_baselines(self.specs)
        self.log = MetricsLog(self.run.metrics, runtime.tracker_forwarder(self.acc, RECIPE, config))
        self.step = 0  # optimizer steps finished

    # -- resume and checkpoints ------------------------------------------------------------

    def resume(self) -> int:
        """Continue from the latest checkpoint (if any); returns the step it resumed at."""
        if self.trainer.loss_cfg.kl_coef > 0 and self.policies.mode != "lora":
            # The reference is a copy of the weights made on first use; make it from the
            # starting weights now, before the checkpoint's weights are loaded over them.
            with self.policies.reference(POLICY):
                pass
        path = latest_checkpoint(self.run.root)
        if path is not None:
            state = load_checkpoint(path, self.policies, self.trainer, self.acc)
            recipe = state["recipe_state"]
            self.controller.load_state_dict(recipe["controller"])
            for stage, baseline in self.baselines.items():
                baseline.load_state_dict(recipe["baselines"][stage])
            self.engine.set_rng_state(state["extra"]["engine_rng"][self.rank])
            self.step = int(state["step"])
        if self.is_main:
            self.log.truncate_after(self.step)  # records of lost work are redone
        return self.step

    def recipe_state(self) -> dict[str, Any]:
        """The controller and role baselines, as saved in `state.json` of each checkpoint."""
        return {
            "controller": self.controller.state_dict(),
            "baselines": {stage: b.state_dict() for stage, b in self.baselines.items()},
        }

    def checkpoint(self) -> Path:
        engine_rng = runtime.gather_objects(self.acc, self.engine.rng_state())
        return save_checkpoint(
            self.run.root,
            self.step,
            self.policies,
            self.trainer,
            self.acc,
            recipe_state=self.recipe_state(),
            extra={"engine_rng": engine_rng},
            keep_last=self.config.run.keep_last,
        )

    # -- one iteration ---------------------------------------------------------------------

    def iteration(self) -> dict[str, Any]:
        """Play this rank's games, train the active stage, update the controller; returns the
        step's metrics record (the same on every rank)."""
        stage = self.controller.stage
        active = self.controller.metrics()
        indices = game_indices(self.step, self.rank, self.world, self.games_per_rank)
        games = [self.stream.game(k) for k in indices]

        start = time.perf_counter()
        episodes = [play_game(Context(), g.setup, g.config) for g in games]
        results = run_episodes(self.engine, episodes)
        rollout_seconds = time.perf_counter() - start

        samples = [Sample.from_turn(t, episode=r.game_id) for r in results for t in r.turns]
        control = self.config.control.stream(self.config.run.seed, self.step, self.rank)
        if control is not None:  # the proof's control run
            permute_rewards(samples, control)
        assign_advantages(samples, self.specs, self.baselines, self._gather)
        trained = [s for s in samples if self.controller.trains(s.stage)]
        stats = self.trainer.train(POLICY, trained)

        measured = sum_decision_stats(self.acc, decision_stats(results))
        self.controller.update(measured, self.step)
        self.step += 1

        local = {
            **game_statistics(results),
            **sample_metrics(samples),
            "trained_samples": float(len(trained)),
            "rollout_seconds": rollout_seconds,
        }
        combined = combine_over_ranks(self.acc, local, summed=_is_count)
        record: dict[str, Any] = {
            "step": self.step,
            "phase": PHASE,
            "stage": stage,
            "next_stage": self.controller.stage,
            **combined,
            **self.controller.metrics(),
            # whether each stage trained in this step (the metrics above describe the next one)
            "spo/clue_active": active["spo/clue_active"],
            "spo/decision_active": active["spo/decision_active"],
            "spo/accuracy": measured.accuracy,
            "spo/abstention": measured.abstention_rate,
            **baseline_metrics(self.baselines),
            **stats,
            "tokens_per_s": combined.get("completion_tokens", 0.0)
            / max(combined["rollout_seconds"], 1e-9),
        }
        if self.step % self.config.run.log_rollouts_every == 0:
            self._write_rollouts(games, results, stage)
        if self.is_main:
            self.log.append(record)
        return record

    def _gather(self, values: list[float]) -> tuple[list[list[float]], int]:
        return runtime.gather_objects(self.acc, values), self.rank

    def _write_rollouts(self, games: list, results: list, stage: str) -> None:
        records = [
            {
                "recipe": RECIPE,
                "step": self.step,
                "rank": self.rank,
                "trained_stage": stage,
                "game_index": game.index,
                "epoch": game.epoch,
                "pair_id": game.pair_id,
                **result.to_record(),
            }
            for game, result in zip(games, results, strict=True)
        ]
        write_jsonl(self.run.rollouts / f"step_{self.step:06d}_rank{self.rank}.jsonl", records)

    # -- the whole run ---------------------------------------------------------------------

    def train(self) -> RunDir:
        """Iterate to `schedule.steps`, checkpointing every `run.save_every` steps and at the end."""
        steps = self.config.schedule.steps
        save_every = self.config.run.save_every
        started = time.perf_counter()
        first = self.step
        progress, task = runtime.progress_bar(steps, RECIPE, disable=not self.is_main)
        with progress:
            progress.update(task, completed=self.step)
            while self.step < steps:
                record = self.iteration()
                progress.update(
                    task,
                    completed=self.step,
                    info=f"{record['stage']} acc {record.get('decision/accuracy', 0.0):.2f}",
                )
                if (save_every and self.step % save_every == 0) or self.step == steps:
                    self.checkpoint()
        if self.is_main:
            self.log.append(
                {
                    "summary": True,
                    "phase": PHASE,
                    "step": self.step,
                    "steps_this_session": self.step - first,
                    "wall_seconds": time.perf_counter() - started,
                    "stage": self.controller.stage,
                    **self.controller.metrics(),
                    **baseline_metrics(self.baselines),
                }
            )
            self.run.mark_phase(PHASE, {"steps": self.step})
        if self.log.forward is not None:
            self.acc.end_training()  # flush and close the trackers
        self.acc.wait_for_everyone()
        return self.run


def _game_configs(config: Config):
    """domain -> the game configuration (built once per domain)."""

    @cache
    def config_for(domain: str) -> VisionZeroGameConfig:
        return config.game.build(domain)

    return config_for


def train(config: Config, out: str | os.PathLike[str]) -> RunDir:
    """Train (or resume, or find finished) the run in `out`; returns its run directory."""
    runtime.check_before_start(out, config, config.model.name)
    user_pairs(config.data)  # a named data folder must be usable before anything is written
    finished = RunDir(out)
    if finished.phase_done(PHASE):
        runtime.prepare_run_dir(
            out, config
        )  # a different config in a finished run is still an error
        return finished
    run = VisionZeroRun(config, out)
    run.resume()
    return run.train()
