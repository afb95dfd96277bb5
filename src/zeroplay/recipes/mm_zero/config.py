"""Config sections of the MM-Zero recipe: the game, the SVG renderer and the three phases.

Every game default comes from `MMZeroGameConfig` (the released code's values, note §4-5), every
renderer default from `SvgRenderConfig`, so there is one source of truth for each number. The
phase sizes default to the released 8B run (`main_svg.sh`, note §6-7).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from zeroplay.data.svg import SvgLimits, SvgRenderConfig
from zeroplay.engines.request import SamplingParams
from zeroplay.games.mm_zero import MMZeroGameConfig
from zeroplay.recipes.common import ControlSection, EngineSection, ModelSection, RunSection
from zeroplay.rl.advantages import AdvantageSpec
from zeroplay.rl.config import LossSettings, OptimConfig, Strict, TrainerConfig

_GAME = MMZeroGameConfig()
_RENDER = SvgRenderConfig()
_LIMITS = SvgLimits()


class SamplingSection(Strict):
    """How one use of a role samples (`n` completions per prompt)."""

    n: int = Field(1, ge=1)
    temperature: float = Field(1.0, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    top_k: int = Field(0, ge=0)
    max_new_tokens: int = Field(4096, ge=1)

    @classmethod
    def of(cls, params: SamplingParams) -> SamplingSection:
        return cls(
            n=params.n,
            temperature=params.temperature,
            top_p=params.top_p,
            top_k=params.top_k,
            max_new_tokens=params.max_new_tokens,
        )

    def build(self) -> SamplingParams:
        return SamplingParams(
            n=self.n,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            max_new_tokens=self.max_new_tokens,
        )


_SAMPLING_FIELDS = (
    "proposer_rollout",
    "proposer_offline",
    "codegen_scoring",
    "codegen_filter",
    "codegen_rollout",
    "codegen_offline",
    "judge",
    "labelling",
    "solver_rollout",
)


class GameSection(Strict):
    """`MMZeroGameConfig` as YAML; docs/mm_zero.md describes every field."""

    proposer_rollout: SamplingSection = SamplingSection.of(_GAME.proposer_rollout)
    proposer_offline: SamplingSection = SamplingSection.of(_GAME.proposer_offline)
    codegen_scoring: SamplingSection = SamplingSection.of(_GAME.codegen_scoring)
    codegen_filter: SamplingSection = SamplingSection.of(_GAME.codegen_filter)
    codegen_rollout: SamplingSection = SamplingSection.of(_GAME.codegen_rollout)
    codegen_offline: SamplingSection = SamplingSection.of(_GAME.codegen_offline)
    judge: SamplingSection = SamplingSection.of(_GAME.judge)
    labelling: SamplingSection = SamplingSection.of(_GAME.labelling)
    solver_rollout: SamplingSection = SamplingSection.of(_GAME.solver_rollout)
    solvability_cap: float = _GAME.solvability_cap
    easy_hard_threshold: float = _GAME.easy_hard_threshold
    easy_hard_penalty: float = _GAME.easy_hard_penalty
    bleu_distance_threshold: float = _GAME.bleu_distance_threshold
    diversity_weights: tuple[float, float, float] = _GAME.diversity_weights
    diversity_budget: float = _GAME.diversity_budget
    content_type_weight: float = _GAME.content_type_weight
    content_type_threshold: float = _GAME.content_type_threshold
    invalid_proposal_reward: float = _GAME.invalid_proposal_reward
    codegen_no_render_penalty: float = _GAME.codegen_no_render_penalty
    codegen_empty_penalty: float = _GAME.codegen_empty_penalty
    codegen_not_svg_penalty: float = _GAME.codegen_not_svg_penalty
    codegen_penalty_floor: float = _GAME.codegen_penalty_floor
    solver_format_weight: float = _GAME.solver_format_weight
    codegen_render_filter: bool = _GAME.codegen_render_filter
    render_rate_window: tuple[float, float] = _GAME.render_rate_window
    min_easy_consistency: float = _GAME.min_easy_consistency
    hard_consistency_window: tuple[float, float] = _GAME.hard_consistency_window
    no_merge_rule: bool = _GAME.no_merge_rule
    label_counts_missing_boxes: bool = _GAME.label_counts_missing_boxes
    grade_timeout_s: float = Field(_GAME.grade_timeout_s, gt=0)
    seeds_per_topic: int = _GAME.seeds_per_topic
    seed_style: Literal["topic_with_subject", "topic"] = _GAME.seed_style
    codegen_judge: Literal["codegen_init", "previous_solver"] = _GAME.codegen_judge
    solver_init: Literal["continue", "base"] = _GAME.solver_init

    def build(self) -> MMZeroGameConfig:
        values = self.model_dump()
        for name in _SAMPLING_FIELDS:
            values[name] = getattr(self, name).build()
        values["diversity_weights"] = tuple(self.diversity_weights)
        values["render_rate_window"] = tuple(self.render_rate_window)
        values["hard_consistency_window"] = tuple(self.hard_consistency_window)
        return MMZeroGameConfig(**values)

    @model_validator(mode="after")
    def _valid_game(self) -> GameSection:
        self.build()  # MMZeroGameConfig checks its own invariants (ValueError -> config error)
        return self


class RenderSection(Strict):
    """The SVG sandbox (`SvgRenderConfig`) and the pixel bounds of the images the Solver sees.

    `min_pixels` / `max_pixels` rescale each rendered image (aspect kept) before any Solver
    use, as EasyR1's dataset did for Solver training (note §5: 512^2 to 2048^2); null keeps the
    rendered size.
    """

    backend: Literal["resvg", "cairosvg"] = _RENDER.backend
    workers: int = Field(_RENDER.workers, ge=1)
    timeout_s: float = Field(_RENDER.timeout_s, gt=0)
    memory_limit_mb: int = Field(_RENDER.memory_limit_mb, ge=64)
    background: Literal["white", "black"] = _RENDER.background
    start_method: Literal["spawn", "forkserver"] = _RENDER.start_method
    startup_timeout_s: float = Field(_RENDER.startup_timeout_s, gt=0)
    max_items_per_worker: int = Field(_RENDER.max_items_per_worker, ge=1)
    max_chars: int = Field(_LIMITS.max_chars, ge=1)
    max_depth: int = Field(_LIMITS.max_depth, ge=1)
    max_elements: int = Field(_LIMITS.max_elements, ge=1)
    max_side_px: int = Field(_LIMITS.max_side_px, ge=1)
    max_aspect_ratio: float = Field(_LIMITS.max_aspect_ratio, ge=1)
    oversize: Literal["scale", "refuse"] = Field(
        _LIMITS.oversize,
        description="an SVG side above max_side_px: scale the canvas down, or refuse the SVG "
        "(the released code refused sides above 16384)",
    )
    min_pixels: int | None = Field(None, ge=1)
    max_pixels: int | None = Field(None, ge=1)

    def build(self) -> SvgRenderConfig:
        return SvgRenderConfig(
            backend=self.backend,
            workers=self.workers,
            timeout_s=self.timeout_s,
            memory_limit_mb=self.memory_limit_mb,
            background=self.background,
            limits=SvgLimits(
                max_chars=self.max_chars,
                max_depth=self.max_depth,
                max_elements=self.max_elements,
                max_side_px=self.max_side_px,
                max_aspect_ratio=self.max_aspect_ratio,
                oversize=self.oversize,
            ),
            start_method=self.start_method,
            startup_timeout_s=self.startup_timeout_s,
            max_items_per_worker=self.max_items_per_worker,
        )

    @model_validator(mode="after")
    def _valid_bounds(self) -> RenderSection:
        if self.min_pixels and self.max_pixels and self.min_pixels > self.max_pixels:
            raise ValueError("render.min_pixels must not exceed render.max_pixels")
        return self


class AdvantageSection(Strict):
    """The group estimator of every phase: GRPO z-score (note §7) or Dr. GRPO centring.

    `std` and `eps` belong to zscore only; unset, they are EasyR1's unbiased `torch.std` and
    1e-6.
    """

    kind: Literal["zscore", "center"] = "zscore"
    std: Literal["population", "unbiased"] | None = None
    eps: float | None = Field(None, gt=0)

    def build(self) -> AdvantageSpec:
        if self.kind == "zscore":
            return AdvantageSpec("zscore", std=self.std or "unbiased", eps=self.eps or 1e-6)
        return AdvantageSpec(self.kind, std=self.std, eps=self.eps)

    @model_validator(mode="after")
    def _valid_spec(self) -> AdvantageSection:
        self.build()
        return self


class ProposerPhase(Strict):
    """Proposer GRPO: `rollout_batch` seed rows per step, `global_batch` rows per update."""

    steps: int = Field(20, ge=1)
    rollout_batch: int = Field(18, ge=1)
    global_batch: int = Field(18, ge=1)


class CodegenPhase(Strict):
    """CodeGen GRPO on render-filtered proposals (`proposals` are generated per iteration).

    When fewer proposals survive the filter than `rollout_batch`, the batch is clamped as the
    released script did (largest power of two that fits, note §6) and the data is cycled.
    """

    steps: int = Field(20, ge=1)
    proposals: int = Field(3304, ge=1)
    rollout_batch: int = Field(320, ge=1)
    global_batch: int = Field(64, ge=1)


class SolverPhase(Strict):
    """Solver GRPO on self-labelled rendered images (`proposals` are generated per iteration)."""

    steps: int = Field(20, ge=1)
    proposals: int = Field(5000, ge=1)
    rollout_batch: int = Field(512, ge=1)
    global_batch: int = Field(64, ge=1)
    max_prompt_tokens: int = Field(
        0,
        ge=0,
        description="drop training items whose Solver prompt (text + image tokens) is longer "
        "(the released code's max_prompt_length 8192); 0: no cap",
    )


class MMZeroRunSection(RunSection):
    """Run settings plus how many rendered images each step keeps as PNG examples.

    `save_every` counts GRPO steps; every training phase also ends with a checkpoint that is
    never pruned (it is that role's version for the iteration).
    """

    render_examples: int = Field(10, ge=0)


# EasyR1's settings for all three roles (note §7), as the defaults of every trainer key, so a
# preset that sets one key keeps the others: AdamW lr 1e-6 constant, weight decay 0.01, grad
# clip 1.0; clip 0.2 / 0.3 with dual clip 3; token-mean loss; low-var KL (k3) at 0.01.


class ReleasedOptim(OptimConfig):
    """`OptimConfig` with EasyR1's MM-Zero values as defaults."""

    lr: float = Field(1e-6, gt=0)
    weight_decay: float = Field(0.01, ge=0)


class ReleasedLoss(LossSettings):
    """`LossSettings` with EasyR1's MM-Zero values as defaults."""

    epsilon_high: float = 0.3
    dual_clip: float | None = 3.0
    aggregation: Literal["seq_mean_token_mean", "token_mean", "seq_sum_const"] = "token_mean"
    kl_coef: float = Field(0.01, ge=0)


class ReleasedTrainer(TrainerConfig):
    """`TrainerConfig` whose optimizer and loss default to EasyR1's MM-Zero values."""

    optim: ReleasedOptim = ReleasedOptim()
    loss: ReleasedLoss = ReleasedLoss()


class Config(Strict):
    """Everything an MM-Zero run needs; presets live in zeroplay/configs/mm_zero/.

    `trainer` is shared by the three roles (EasyR1 used one set of optimizer and loss settings);
    each phase's batch sizes come from `proposer`, `codegen` and `solver`, whose `global_batch`
    sets the optimizer updates per step, so `trainer.mini_batches` must stay 1.
    `kl_reference`: "phase_start" anchors the KL at the trained role's weights when its phase
    began (each released phase was a new run from those weights); "base" at the base model.
    """

    model: ModelSection = ModelSection(mode="lora")
    engine: EngineSection = EngineSection()
    run: MMZeroRunSection = MMZeroRunSection()
    iterations: int = Field(6, ge=1)
    trainer: ReleasedTrainer = ReleasedTrainer()
    advantage: AdvantageSection = AdvantageSection()
    kl_reference: Literal["phase_start", "base"] = "phase_start"
    game: GameSection = GameSection()
    render: RenderSection = RenderSection()
    proposer: ProposerPhase = ProposerPhase()
    codegen: CodegenPhase = CodegenPhase()
    solver: SolverPhase = SolverPhase()
    control: ControlSection = ControlSection()

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        if self.model.mode == "shared":
            raise ValueError(
                "model.mode 'shared' would make the three roles one model; use 'lora' "
                "(adapters on one base) or 'separate' (full copies)"
            )
        if self.trainer.mini_batches != 1:
            raise ValueError(
                "trainer.mini_batches must stay 1: set proposer/codegen/solver.global_batch "
                "(prompts per optimizer update) instead"
            )
        return self

    @property
    def needs_snapshot(self) -> bool:
        """Whether the run keeps the `phase_start` copy (for the judge or the KL reference)."""
        kl_from_start = self.trainer.loss.kl_coef > 0 and self.kl_reference == "phase_start"
        return self.game.codegen_judge == "codegen_init" or kl_from_start
