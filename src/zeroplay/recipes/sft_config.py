"""Configuration of supervised fine-tuning (`zeroplay train sft`): the "cold start" before RL."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from zeroplay.recipes.common import ModelSection, RunSection
from zeroplay.rl.config import OptimConfig, Strict


class SftModelSection(ModelSection):
    """The model to fine-tune: full weights (`shared`) or one LoRA adapter (`lora`)."""

    mode: Literal["lora", "shared"] = "shared"


class SftDataSection(Strict):
    """The chat-record JSONL file (see docs/sft.md) and the longest record accepted."""

    path: str | None = Field(None, description="JSONL of {messages: [...]} records")
    max_length: int | None = Field(None, ge=8, description="refuse records longer than this")


class SftTrainSection(Strict):
    """Optimisation: records per optimizer step (over all ranks), micro-batch size, epochs."""

    optim: OptimConfig = OptimConfig(lr=1e-4, schedule="cosine", warmup_ratio=0.05)
    batch_size: int = Field(16, ge=1, description="records per optimizer step, all ranks")
    micro_batch_size: int = Field(8, ge=1, description="records per forward/backward pass")
    micro_batch_tokens: int | None = Field(
        None,
        ge=8,
        description="also cap a pass at this many padded tokens (records x the longest); a "
        "batch's records go longest first, so long and short records pad among their own kind",
    )
    epochs: float = Field(1.0, gt=0, description="passes over the data (fractions allowed)")
    loss_average: Literal["token", "record"] = Field(
        "token",
        description="token: every assistant token weighs the same; record: every record weighs "
        "the same (its mean token NLL), so short answers are not drowned by long ones",
    )
    gradient_checkpointing: bool = False
    mixed_precision: Literal["auto", "no", "bf16", "fp16"] = "auto"

    @model_validator(mode="after")
    def _check(self) -> SftTrainSection:
        if self.micro_batch_size > self.batch_size:
            raise ValueError(
                f"micro_batch_size ({self.micro_batch_size}) exceeds batch_size ({self.batch_size})"
            )
        return self


class Config(Strict):
    """Everything an SFT run needs (written out in full to RUN_DIR/config.yaml)."""

    model: SftModelSection = SftModelSection()
    run: RunSection = RunSection(save_every=100)
    data: SftDataSection = SftDataSection()
    train: SftTrainSection = SftTrainSection()
