"""Opening a run: the accelerator, the run directory and its config, seeds, policies, trainer.

Every recipe starts the same way; the order (seed, then load, then per-rank seed) is part of
exact resume and of the same initial weights on every rank.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from zeroplay.models.loader import (
    LoraSettings,
    ModelNotFoundError,
    ModelSettings,
    resolve_model_path,
)
from zeroplay.rl.config import TrainerConfig
from zeroplay.rl.metrics import flatten
from zeroplay.rl.policies import Policies, PolicyMode
from zeroplay.rl.rundir import RunDir, atomic_write_text
from zeroplay.rl.sharding import ShardingError
from zeroplay.rl.trainer import Trainer
from zeroplay.runtime.errors import ConfigError, to_yaml
from zeroplay.runtime.heap import keep_freed_memory


def make_accelerator(
    mixed_precision: str = "auto",
    trackers: list[str] | tuple[str, ...] = (),
    project_dir: str | os.PathLike[str] | None = None,
    find_unused_parameters: bool = False,
) -> Any:
    """An `Accelerator` on the GPU when one exists (bf16 by default), else on the CPU (fp32,
    with freed heap memory kept in the process: `runtime.heap`).

    `trackers` ("tensorboard", "wandb") are accelerate's experiment trackers; their files go
    under `project_dir` (the run directory). They need the `tensorboard` / `wandb` extras.
    `find_unused_parameters` is needed under DDP when several LoRA roles share one wrapped model
    and a step uses only one of them (plain DDP rejects the next step otherwise).
    """
    import torch
    from accelerate import Accelerator
    from accelerate.utils import DistributedDataParallelKwargs

    on_gpu = torch.cuda.is_available()
    if not on_gpu:
        keep_freed_memory()
    if mixed_precision == "auto":
        mixed_precision = "bf16" if on_gpu else "no"
    kwargs: dict[str, Any] = {}
    if trackers:
        kwargs = {"log_with": list(trackers), "project_dir": str(project_dir or ".")}
    if find_unused_parameters:
        kwargs["kwargs_handlers"] = [DistributedDataParallelKwargs(find_unused_parameters=True)]
    return Accelerator(cpu=not on_gpu, mixed_precision=mixed_precision, **kwargs)


def tracker_forwarder(accelerator: Any, name: str, config: Any) -> Any:
    """Start accelerate's trackers (if any) and return a `MetricsLog` forward function.

    Only numeric values are sent; `step` is the record's optimizer step.
    """
    if not getattr(accelerator, "log_with", None):
        return None
    flat = {k: str(v) for k, v in flatten(config.model_dump(mode="json"), sep=".").items()}
    accelerator.init_trackers(name, config=flat)

    def forward(record: dict[str, Any]) -> None:
        values = {
            k: float(v)
            for k, v in record.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and k != "step"
        }
        accelerator.log(values, step=int(record.get("step", 0)))

    return forward


def seed_everything(seed: int, rank: int = 0) -> None:
    """Seed python, numpy and torch; each data-parallel rank gets its own stream."""
    import torch

    value = seed * 1_000_003 + rank
    random.seed(value)
    np.random.seed(value % 2**32)
    torch.manual_seed(value)


def prepare_run_dir(out: str | os.PathLike[str], config: Any, *, is_main: bool = True) -> RunDir:
    """Create the run directory and write its resolved config, or check it on resume.

    Re-running the same command resumes; a different config in an existing run directory is an
    error that names the differing keys (a resumed run must not silently change its settings).
    """
    run = RunDir(out)
    text = to_yaml(config)
    if run.config.exists():
        _check_same_config(run, text)
    elif is_main:
        try:
            run.create()
            atomic_write_text(run.config, text)
        except OSError as error:
            raise ConfigError(
                f"cannot write the run folder {str(run.root)!r} ({error.strerror or error}); "
                "choose another --out"
            ) from None
    return run


def check_before_start(out: str | os.PathLike[str], config: Any, model_name: str) -> None:
    """Check what can fail before a run writes anything: the run folder and the model.

    A failed start must leave nothing behind that a corrected rerun would trip over (a
    config.yaml written before the model turned out to be missing made the rerun's config
    "different"). Raises ConfigError with a one-line reason.
    """
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise ConfigError(f"--out {str(root)!r} is a file, not a run folder")
    existing = root.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"--out {str(root)!r} lies under {str(existing)!r}, which is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"--out {str(root)!r} cannot be written ({str(existing)!r} is read-only)")
    run = RunDir(root)
    if run.config.is_file():
        _check_same_config(run, to_yaml(config))
    try:
        resolve_model_path(model_name)
    except ModelNotFoundError as error:
        raise ConfigError(str(error)) from None


def _check_same_config(run: RunDir, text: str) -> None:
    """Refuse to resume `run` with a config other than its own, naming the keys that differ."""
    old = run.config.read_text(encoding="utf-8")
    if old == text:
        return
    try:
        before = flatten(yaml.safe_load(old) or {}, sep=".")
    except yaml.YAMLError:
        before = {}
    after = flatten(yaml.safe_load(text) or {}, sep=".")
    keys = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    shown = ", ".join(
        f"{k} ({before.get(k, '<unset>')!r} there, {after.get(k, '<unset>')!r} now)"
        for k in keys[:5]
    )
    more = f" and {len(keys) - 5} more" if len(keys) > 5 else ""
    differs = f": {shown}{more}" if keys else ""
    raise ConfigError(
        f"{run.root} already holds a run with a different config{differs}; rerun with the same "
        "settings to resume, or choose another --out"
    )


def load_policies(
    settings: ModelSettings,
    accelerator: Any,
    names: Sequence[str],
    mode: PolicyMode,
    lora: LoraSettings | None,
) -> Policies:
    """The run's policies on the accelerator's device (unless the config names a device)."""
    return Policies.load(on_accelerator(settings, accelerator), names, mode, lora)


def on_accelerator(settings: ModelSettings, accelerator: Any) -> ModelSettings:
    """`settings` with device "auto" resolved to the accelerator's device."""
    if settings.device == "auto":
        return replace(settings, device=str(accelerator.device))
    return settings


def build_trainer(
    policies: Policies,
    config: TrainerConfig,
    accelerator: Any,
    steps: Mapping[str, int],
    seed: int,
) -> Trainer:
    """A `Trainer` for `steps` (role -> optimizer steps); a sharding the model cannot take is a
    config error, not a traceback."""
    try:
        return Trainer(policies, config, accelerator, dict(steps), seed=seed)
    except ShardingError as exc:
        raise ConfigError(str(exc)) from None
