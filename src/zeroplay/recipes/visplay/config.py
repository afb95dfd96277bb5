"""The VisPlay recipe's config: data, game switches, schedule and GRPO settings, strictly typed.

Reference: /work/shared/reference/visplay.md (§3-6, §10). Every game switch mirrors a field of
`zeroplay.games.visplay.VisPlayGameConfig` (defaults: the paper); the `released-code` preset
sets the code's values. The trainer defaults are the GRPO settings of note §6 / §10 item 6.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from zeroplay.games.visplay import RoleSampling, VisPlayGameConfig
from zeroplay.recipes.common import ControlSection, EngineSection, ModelSection, RunSection
from zeroplay.rl.config import LossSettings, OptimConfig, Strict, TrainerConfig

ROLES = ("questioner", "reasoner")
# The three phases of one iteration, in order (note §4): train the questioner against the
# frozen reasoner, then generate + pseudo-label + filter, then train the reasoner.
PHASE_KINDS = ("questioner", "label", "reasoner")

_PAPER = VisPlayGameConfig.paper()


def phase_names(iterations: int) -> list[str]:
    """Every phase of a run in order: questioner_1, label_1, reasoner_1, questioner_2, ..."""
    return [f"{kind}_{i}" for i in range(1, iterations + 1) for kind in PHASE_KINDS]


def split_phase(name: str) -> tuple[str, int]:
    """`"label_2"` -> `("label", 2)`."""
    kind, _, number = name.rpartition("_")
    return kind, int(number)


class SamplingSection(Strict):
    """Sampling of one role in one use (the number of samples comes from the game)."""

    temperature: float = Field(1.0, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    top_k: int = Field(0, ge=0)
    max_new_tokens: int = Field(4096, ge=1)

    @classmethod
    def of(cls, sampling: RoleSampling) -> SamplingSection:
        return cls(
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            top_k=sampling.top_k,
            max_new_tokens=sampling.max_new_tokens,
        )

    def build(self) -> RoleSampling:
        return RoleSampling(self.temperature, self.top_p, self.top_k, self.max_new_tokens)


class GameSection(Strict):
    """The switches of `VisPlayGameConfig` (docs/visplay.md, "Switches"); defaults: the paper."""

    reward_variant: Literal["paper", "code"] = _PAPER.reward_variant
    diversity_lambda: float = _PAPER.diversity_lambda
    diversity_scope: Literal["image", "batch"] = _PAPER.diversity_scope
    bleu_distance_threshold: float = _PAPER.bleu_distance_threshold
    questioner_group_size: int = _PAPER.questioner_group_size
    reward_samples: int = _PAPER.reward_samples
    validate_type: bool = _PAPER.validate_type
    drop_non_answers: bool = _PAPER.drop_non_answers
    non_answers: Literal["counted", "excluded"] = _PAPER.non_answers
    no_merge_rule: bool = _PAPER.no_merge_rule
    grade_timeout_s: float = _PAPER.grade_timeout_s
    questions_per_image: int = _PAPER.questions_per_image
    label_samples: int = _PAPER.label_samples
    confidence_low: float = _PAPER.confidence_low
    confidence_high: float = _PAPER.confidence_high
    drop_keyword_items: bool = _PAPER.drop_keyword_items
    reasoner_reward_variant: Literal["paper", "code"] = _PAPER.reasoner_reward_variant
    reasoner_group_size: int = _PAPER.reasoner_group_size
    prompt_style: Literal["consistent", "code"] = _PAPER.prompt_style
    questioner_train_sampling: SamplingSection = SamplingSection.of(
        _PAPER.questioner_train_sampling
    )
    questioner_generate_sampling: SamplingSection = SamplingSection.of(
        _PAPER.questioner_generate_sampling
    )
    reasoner_reward_sampling: SamplingSection = SamplingSection.of(_PAPER.reasoner_reward_sampling)
    reasoner_label_sampling: SamplingSection = SamplingSection.of(_PAPER.reasoner_label_sampling)
    reasoner_train_sampling: SamplingSection = SamplingSection.of(_PAPER.reasoner_train_sampling)

    def build(self) -> VisPlayGameConfig:
        """The game config; raises ValueError for inconsistent switches."""
        values = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            values[name] = value.build() if isinstance(value, SamplingSection) else value
        return VisPlayGameConfig(**values)

    @model_validator(mode="after")
    def _consistent(self) -> GameSection:
        self.build()  # VisPlayGameConfig checks ranges and combinations
        return self


class DataSection(Strict):
    """Where images come from, and the pixel-area window they are resized into.

    `path` (a folder, `--data`) or `hf_dataset` (a Hugging Face dataset, needs the
    `hf-datasets` extra); with neither, `generate_charts` chart images are drawn into
    `RUN_DIR/data/images`.
    """

    path: str | None = None
    hf_dataset: str | None = None
    hf_split: str = "train"
    hf_image_column: str = "image"
    generate_charts: int = Field(64, ge=1)
    chart_width: int = Field(480, ge=160)
    chart_height: int = Field(360, ge=120)
    # The code resizes every image so that width * height lies in [512^2, 2048^2] (note §5).
    min_pixels: int = Field(512 * 512, ge=1)
    max_pixels: int = Field(2048 * 2048, ge=1)

    @model_validator(mode="after")
    def _one_source(self) -> DataSection:
        if self.path and self.hf_dataset:
            raise ValueError(
                "data.path and data.hf_dataset are both set; choose one "
                "(e.g. add data.hf_dataset=null when passing --data)"
            )
        if self.min_pixels > self.max_pixels:
            raise ValueError("data.min_pixels must not exceed data.max_pixels")
        return self


class ScheduleSection(Strict):
    """Iterations, steps per phase, batch sizes and the curation pool.

    A step is one rollout batch (veRL's global step); it makes `trainer.mini_batches` optimizer
    steps (code: 512 prompts per rollout, 128 per optimizer step, so 4).
    """

    iterations: int = Field(3, ge=1)
    questioner_steps: int = Field(20, ge=0, description="paper: 20 (3B), 10 (7B); code: 40 / 20")
    questioner_images_per_step: int = Field(512, ge=1)
    reasoner_steps: int = Field(20, ge=0)
    reasoner_questions_per_step: int = Field(512, ge=1)
    # Curation: questions are generated for `pool_images` images per iteration. The code uses the
    # first 1000 rows every iteration ("first"); "fresh" draws a new random pool each iteration
    # (a recommended deviation, note §10).
    pool_images: int = Field(1000, ge=1)
    pool: Literal["first", "fresh"] = "first"
    label_chunk_images: int = Field(64, ge=1, description="images generated and labelled per batch")
    # Stop (cleanly, after its completion marker) once this phase is done; rerunning the same
    # command without it resumes. Not part of the run's identity (left out of config.yaml).
    stop_after: str | None = None


def visplay_trainer() -> TrainerConfig:
    """GRPO as VisPlay ran it (note §6): clip 0.2/0.3, dual clip 3, k3 KL 0.01 clamped at 10,
    token-mean per sequence, AdamW lr 1e-6 constant, weight decay 0.01, grad clip 1.0, 4 optimizer
    steps per rollout batch."""
    return TrainerConfig(
        optim=OptimConfig(lr=1e-6, weight_decay=0.01, schedule="constant", max_grad_norm=1.0),
        loss=LossSettings(
            epsilon_low=0.2,
            epsilon_high=0.3,
            dual_clip=3.0,
            aggregation="seq_mean_token_mean",
            kl_coef=0.01,
            kl_estimator="k3",
            kl_clamp=10.0,
        ),
        mini_batches=4,
    )


class Config(Strict):
    """Everything a VisPlay run needs; maps one-to-one onto the preset YAML files.

    `kl_reference`: "base" anchors the KL term of every phase at the base model (the paper);
    "phase_start" at the trained role's weights when its phase began, as the released code did
    (each phase was a new veRL run from the previous weights, note §4).
    """

    model: ModelSection = ModelSection(mode="lora")
    engine: EngineSection = EngineSection()
    run: RunSection = RunSection()
    data: DataSection = DataSection()
    game: GameSection = GameSection()
    schedule: ScheduleSection = ScheduleSection()
    trainer: TrainerConfig = visplay_trainer()
    kl_reference: Literal["base", "phase_start"] = "base"
    control: ControlSection = ControlSection()

    @model_validator(mode="after")
    def _checks(self) -> Config:
        if self.model.mode == "shared":
            raise ValueError(
                "VisPlay trains two policies (questioner, reasoner): model.mode must be "
                "'lora' (two adapters on one base) or 'separate' (two full models)"
            )
        stop = self.schedule.stop_after
        names = phase_names(self.schedule.iterations)
        if stop is not None and stop not in names:
            raise ValueError(f"schedule.stop_after={stop!r} is not a phase; choose from {names}")
        return self

    def identity(self) -> Config:
        """The settings that define the run (written to config.yaml and checked on resume)."""
        schedule = self.schedule.model_copy(update={"stop_after": None})
        return self.model_copy(update={"schedule": schedule})
