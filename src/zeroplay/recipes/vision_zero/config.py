"""The Vision-Zero recipe's configuration: strict sections that map one-to-one onto the YAML presets.

Each section builds the object the game or the RL core uses (`VisionZeroGameConfig`,
`ControllerConfig`, `AdvantageSpec`); their own checks run inside pydantic validation, so a bad
value is reported with its key. Defaults follow the paper (reference note §6, Table 5); the
presets in `zeroplay/configs/vision_zero/` spell out every choice.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from zeroplay.games.vision_zero import ControllerConfig, TurnSampling, VisionZeroGameConfig
from zeroplay.recipes.common import ControlSection, EngineSection, ModelSection, RunSection
from zeroplay.rl.advantages import AdvantageSpec
from zeroplay.rl.config import LossSettings, OptimConfig, Strict, TrainerConfig

GameDomain = Literal["auto", "clevr", "chart", "photo"]
PairDomain = Literal["clevr", "chart", "photo"]


class SamplingSection(Strict):
    """Engine settings of one kind of turn (clue or vote); the game sets how many samples."""

    max_new_tokens: int = Field(512, ge=1)
    temperature: float = Field(0.8, gt=0, description="sampling temperature; the loss uses it too")
    top_p: float = Field(1.0, gt=0, le=1)
    top_k: int = Field(0, ge=0)
    min_new_tokens: int = Field(0, ge=0)
    repetition_penalty: float = Field(1.0, gt=0)

    @model_validator(mode="after")
    def _check(self) -> SamplingSection:
        if self.min_new_tokens > self.max_new_tokens:
            raise ValueError(
                f"min_new_tokens ({self.min_new_tokens}) exceeds max_new_tokens "
                f"({self.max_new_tokens})"
            )
        return self

    def build(self) -> TurnSampling:
        return TurnSampling(**self.model_dump())


class GameSection(Strict):
    """How a game is played and scored (see docs/vision_zero.md for paper vs code).

    `domain: auto` takes each pair's domain (clevr, chart or photo) from the data folder, so a
    mixed folder plays each game with its own prompt texts.
    """

    n_players: int = Field(4, ge=3, description="all players, spy included")
    n_rounds: int = Field(2, ge=1)
    decision_mode: Literal["observer", "civilians"] = "observer"
    group_size: int = Field(8, ge=1, description="G, samples per decision prompt")
    blank_spy: bool = False
    domain: GameDomain = "auto"
    decision_reward: Literal["paper", "code"] = "paper"
    beta: float = Field(0.1, ge=0)
    lam: float = Field(0.1, ge=0)
    clue_sampling: SamplingSection = SamplingSection()
    decision_sampling: SamplingSection = SamplingSection()

    def build(self, domain: str) -> VisionZeroGameConfig:
        """The game configuration for pairs of `domain` (used when `domain` here is auto)."""
        return VisionZeroGameConfig(
            n_players=self.n_players,
            n_rounds=self.n_rounds,
            decision_mode=self.decision_mode,
            group_size=self.group_size,
            blank_spy=self.blank_spy,
            domain=domain if self.domain == "auto" else self.domain,
            decision_reward=self.decision_reward,
            beta=self.beta,
            lam=self.lam,
            clue_sampling=self.clue_sampling.build(),
            decision_sampling=self.decision_sampling.build(),
        )


class ControllerSection(Strict):
    """Iterative-SPO: which stage trains (fields as in `ControllerConfig`, paper Table 5)."""

    mode: Literal["paper", "alternate", "clue", "decision", "both"] = "paper"
    rho: float = 0.95
    acc_to_clue: float = 0.9
    na_to_clue: float = 0.1
    err_to_decision: float = 0.4
    na_to_decision: float = 0.5
    min_dwell: int = 5
    patience: int | None = 20
    bias_correction: bool = True
    cycle_length: int = 1

    @model_validator(mode="after")
    def _check(self) -> ControllerSection:
        self.build()  # ControllerConfig's own checks, reported under this section's key
        return self

    def build(self) -> ControllerConfig:
        return ControllerConfig(**self.model_dump())


class AdvantageSection(Strict):
    """One stage's advantage estimator (`AdvantageSpec`; a knob of another estimator is an error)."""

    kind: Literal["zscore", "center", "role_ema", "raw"]
    std: Literal["population", "unbiased"] | None = None
    eps: float | None = None
    alpha: float | None = None
    init: float | None = None
    rae_update: Literal["per_game", "per_batch"] | None = None

    @model_validator(mode="after")
    def _check(self) -> AdvantageSection:
        self.build()
        return self

    def build(self) -> AdvantageSpec:
        return AdvantageSpec(**self.model_dump())


class AdvantagesSection(Strict):
    """Clue turns: role baselines (RAE), no group normalisation. Decision turns: z-score within
    each vote group with the population std (reference note §3.2-3.3)."""

    clue: AdvantageSection = AdvantageSection(kind="role_ema", alpha=0.95, rae_update="per_game")
    decision: AdvantageSection = AdvantageSection(kind="zscore", std="population", eps=1e-8)


class GenerateSection(Strict):
    """Pairs the recipe makes itself (into RUN_DIR/data/pairs) when the data folder is missing
    or empty: fast chart pairs, or CLEVR scenes at a low resolution and sample count."""

    kind: Literal["chart", "clevr", "toy"] = Field(
        "chart",
        description="chart pairs, Mitsuba CLEVR pairs, or the toy model's flat-shaded scenes "
        "(seeded from the training seed space, disjoint from every evaluation seed)",
    )
    pairs: int = Field(8, ge=1)
    width: int = Field(160, ge=16)
    height: int = Field(120, ge=16)
    spp: int | None = Field(None, ge=1, description="CLEVR samples per pixel (clevr only; 4)")

    @model_validator(mode="after")
    def _check(self) -> GenerateSection:
        if self.kind != "clevr" and self.spp is not None:
            raise ValueError(f"spp applies to clevr pairs only; remove it for {self.kind} pairs")
        if self.kind == "chart" and (self.width < 160 or self.height < 120):
            raise ValueError("chart pairs need at least 160x120 pixels")
        return self


class DataSection(Strict):
    """Where the image pairs come from and the pixel-area window images are resized into."""

    path: str | None = Field(
        None, description="folder of <id>_original/<id>_modified pairs (ours or Vision-Zero's)"
    )
    domain: PairDomain | None = Field(
        None, description="domain of pairs that carry no JSON (e.g. a public Vision-Zero set)"
    )
    min_pixels: int = Field(3136, ge=1, description="smaller images are scaled up to this area")
    max_pixels: int = Field(1003520, ge=1, description="larger images are scaled down to this")
    generate: GenerateSection | None = None

    @model_validator(mode="after")
    def _check(self) -> DataSection:
        if self.min_pixels > self.max_pixels:
            raise ValueError(
                f"min_pixels ({self.min_pixels}) exceeds max_pixels ({self.max_pixels})"
            )
        return self


class ScheduleSection(Strict):
    """Iterations (one optimizer step each) and the games played per iteration over all ranks."""

    steps: int = Field(100, ge=1)
    games_per_step: int = Field(
        128, ge=1, description="over all data-parallel ranks; must divide by their number"
    )


class Config(Strict):
    """Everything a Vision-Zero run needs (written out in full to RUN_DIR/config.yaml)."""

    model: ModelSection = ModelSection()
    engine: EngineSection = EngineSection()
    run: RunSection = RunSection()
    data: DataSection = DataSection()
    game: GameSection = GameSection()
    controller: ControllerSection = ControllerSection()
    advantages: AdvantagesSection = AdvantagesSection()
    trainer: TrainerConfig = TrainerConfig(
        optim=OptimConfig(lr=1e-5, schedule="cosine", warmup_ratio=0.1),
        loss=LossSettings(kl_coef=0.04, kl_estimator="k3", epsilon_low=0.2, epsilon_high=0.2),
    )
    schedule: ScheduleSection = ScheduleSection()
    control: ControlSection = ControlSection()
