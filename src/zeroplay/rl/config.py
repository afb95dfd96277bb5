"""Typed, strict configuration of the RL core (maps one-to-one onto YAML).

Unknown keys and wrong types are rejected by pydantic with the key's name; `Literal` fields list
their valid choices in the error.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from zeroplay.rl.losses import LossConfig


class Strict(BaseModel):
    """Base for every config section: no unknown keys, no silent coercion of wrong types."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class OptimConfig(Strict):
    """AdamW and its learning-rate schedule (warmup is a fraction of the scheduled steps)."""

    lr: float = Field(1e-6, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = Field(1e-8, gt=0)
    schedule: Literal["constant", "cosine"] = "constant"
    warmup_ratio: float = Field(0.0, ge=0, lt=1)
    min_lr_ratio: float = Field(0.0, ge=0, le=1)
    max_grad_norm: float | None = Field(1.0, gt=0)


class LossSettings(Strict):
    """The policy loss (see `zeroplay.rl.losses.LossConfig` for the equations)."""

    epsilon_low: float = 0.2
    epsilon_high: float = 0.2
    dual_clip: float | None = None
    ratio_level: Literal["token", "sequence"] = "token"
    aggregation: Literal["seq_mean_token_mean", "token_mean", "seq_sum_const"] = (
        "seq_mean_token_mean"
    )
    const_length: int | None = None
    kl_coef: float = Field(0.0, ge=0)
    kl_estimator: Literal["k1", "k3"] = "k3"
    kl_clamp: float | None = 10.0
    entropy_coef: float = 0.0

    def build(self) -> LossConfig:
        return LossConfig(**self.model_dump())


class TrainerConfig(Strict):
    """How a rollout batch becomes optimizer steps."""

    optim: OptimConfig = OptimConfig()
    loss: LossSettings = LossSettings()
    num_iterations: int = Field(1, ge=1, description="passes over each rollout batch (PPO epochs)")
    mini_batches: int = Field(1, ge=1, description="optimizer steps per pass")
    micro_batch_tokens: int = Field(8192, ge=64, description="padded tokens per forward")
    logprob_chunk: int = Field(1024, ge=1, description="completion positions per LM-head chunk")
    gradient_checkpointing: bool = False
    tis_cap: float | None = Field(
        2.0,
        gt=0,
        description="truncated importance-sampling cap for tokens sampled by an engine whose "
        "numerics are not the trainer's (vLLM); null: no correction (the mismatch is still logged)",
    )
    mixed_precision: Literal["auto", "no", "bf16", "fp16"] = Field(
        "auto",
        description="compute dtype under autocast (auto: bf16 on GPU, fp32 on CPU); trained "
        "weights and optimizer state stay fp32",
    )
    sharding: Literal["auto", "none", "fsdp2"] = Field(
        "auto",
        description="FSDP2 full-weight sharding (auto: when accelerate launch has an FSDP2 config)",
    )
