"""The recipe runtime: what every recipe does around its loop, written once.

`start` opens a run (accelerator, run directory and config, seeds, policies, trainer), `phases`
runs named phases with completion markers and exact resume from phase checkpoints, `engines`
counts, routes and shards a step's generation, `ranks` shares work out over data-parallel ranks
and gathers it back, `steps` makes one GRPO step of a role from scored turns, `progress` draws
the bar, `heap` keeps freed memory in the process for CPU runs. Recipes state their phases and
call these (`from zeroplay import runtime`); the layer sits between `rl/` (which it imports)
and `recipes/` (docs/architecture.md).
"""

from zeroplay.runtime.engines import ShardedEngine, StepEngine
from zeroplay.runtime.errors import ConfigError
from zeroplay.runtime.heap import keep_freed_memory
from zeroplay.runtime.phases import Phases, ResumePoint, mean_of_numbers, save_phase_checkpoint
from zeroplay.runtime.progress import progress_bar
from zeroplay.runtime.ranks import gather_lists, gather_objects, shard_map
from zeroplay.runtime.start import (
    build_trainer,
    check_before_start,
    load_policies,
    make_accelerator,
    on_accelerator,
    prepare_run_dir,
    seed_everything,
    tracker_forwarder,
)
from zeroplay.runtime.steps import train_on_turns

__all__ = [
    "ConfigError",
    "Phases",
    "ResumePoint",
    "ShardedEngine",
    "StepEngine",
    "build_trainer",
    "check_before_start",
    "gather_lists",
    "gather_objects",
    "keep_freed_memory",
    "load_policies",
    "make_accelerator",
    "mean_of_numbers",
    "on_accelerator",
    "prepare_run_dir",
    "progress_bar",
    "save_phase_checkpoint",
    "seed_everything",
    "shard_map",
    "tracker_forwarder",
    "train_on_turns",
]
