"""The recipe runtime: what every recipe does around its loop, written once.

`start` opens a run (accelerator, run directory and config, seeds, policies, trainer), `phases`
runs named phases with completion markers and exact resume from phase checkpoints, `engines`
counts and routes a step's generation, `steps` makes one GRPO step of a role from scored turns,
`progress` draws the bar. Recipes state their phases and call these (`from zeroplay import
runtime`); the layer sits between `rl/` (which it imports) and `recipes/` (docs/architecture.md).
"""

from zeroplay.runtime.engines import StepEngine
from zeroplay.runtime.errors import ConfigError
from zeroplay.runtime.phases import Phases, ResumePoint, mean_of_numbers, save_phase_checkpoint
from zeroplay.runtime.progress import progress_bar
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
    "StepEngine",
    "build_trainer",
    "check_before_start",
    "load_policies",
    "make_accelerator",
    "mean_of_numbers",
    "on_accelerator",
    "prepare_run_dir",
    "progress_bar",
    "save_phase_checkpoint",
    "seed_everything",
    "tracker_forwarder",
    "train_on_turns",
]
