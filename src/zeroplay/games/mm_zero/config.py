"""Every switch and constant of the MM-Zero game, with the released code's values as defaults.

Reference: /work/shared/reference/mm_zero.md (MM-Zero, arXiv 2603.09206, repo zli12321/MM-Zero).
The paper body was not available, so every number comes from the released code (note §0); where
the note marks the code's behaviour as a bug (§11) the default fixes it and `code()` restores it.
`docs/mm_zero.md` lists each field.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from typing import Literal

from zeroplay.engines.request import SamplingParams

CodegenJudge = Literal["codegen_init", "previous_solver"]
SolverInit = Literal["continue", "base"]
SeedStyle = Literal["topic_with_subject", "topic"]


@dataclass(frozen=True)
class MMZeroGameConfig:
    """MM-Zero game settings: sampling per use, reward constants, filters and recipe switches."""

    # --- sampling (note §4.5); `n` is the number of samples per prompt -------------------------
    # Proposer GRPO rollouts: n = ROLLOUT_N proposals per seed prompt.
    proposer_rollout: SamplingParams = field(
        default_factory=partial(
            SamplingParams, n=4, temperature=1.0, top_p=0.99, max_new_tokens=4096
        )
    )
    # Offline proposals for the CodeGen and Solver phases (one per seed row).
    proposer_offline: SamplingParams = field(
        default_factory=partial(
            SamplingParams, n=1, temperature=1.0, top_p=0.95, max_new_tokens=4096
        )
    )
    # The CodeGen service inside the Proposer reward: N = n SVGs per proposal.
    codegen_scoring: SamplingParams = field(
        default_factory=partial(
            SamplingParams, n=4, temperature=0.7, top_p=0.95, top_k=40, max_new_tokens=4096
        )
    )
    # The CodeGen-phase render-rate filter: n SVGs per proposal.
    codegen_filter: SamplingParams = field(
        default_factory=partial(
            SamplingParams, n=4, temperature=0.7, top_p=0.95, max_new_tokens=4096
        )
    )
    # CodeGen GRPO rollouts.
    codegen_rollout: SamplingParams = field(
        default_factory=partial(
            SamplingParams, n=4, temperature=0.7, top_p=0.95, max_new_tokens=4096
        )
    )
    # One SVG per proposal for the Solver-phase data.
    codegen_offline: SamplingParams = field(
        default_factory=partial(
            SamplingParams, n=1, temperature=0.7, top_p=0.95, max_new_tokens=4096
        )
    )
    # Solver-as-judge inside the Proposer and CodeGen rewards: k = n answers per question.
    judge: SamplingParams = field(
        default_factory=partial(
            SamplingParams, n=5, temperature=1.0, top_p=1.0, top_k=40, max_new_tokens=4096
        )
    )
    # Pseudo-labelling for Solver training: n answers per hard and per easy question.
    labelling: SamplingParams = field(
        default_factory=partial(
            SamplingParams, n=10, temperature=1.0, top_p=1.0, top_k=40, max_new_tokens=4096
        )
    )
    # Solver GRPO rollouts.
    solver_rollout: SamplingParams = field(
        default_factory=partial(
            SamplingParams, n=8, temperature=1.0, top_p=0.99, max_new_tokens=4096
        )
    )

    # --- Proposer reward (note §4.1) -----------------------------------------------------------
    # base = (1/N) sum over rendered SVGs of min(solvability, cap) + min(c, 1 - c).
    solvability_cap: float = 0.5
    # -penalty when the mean difficulty min(c, 1 - c) over rendered SVGs is below the threshold.
    easy_hard_threshold: float = 0.15
    easy_hard_penalty: float = 0.3
    # BLEU-cluster redundancy penalty over caption / easy question / hard question.
    bleu_distance_threshold: float = 0.25
    diversity_weights: tuple[float, float, float] = (0.45, 0.20, 0.35)
    diversity_budget: float = 0.5  # W: penalty = clip(W * sum_f w_f (cluster_f - 1), 0, W)
    # Content-type over-representation: weight * (f - t) / (1 - t) when f > t and >= 2 types.
    content_type_weight: float = 0.15
    content_type_threshold: float = 0.5
    invalid_proposal_reward: float = -1.0

    # --- CodeGen reward (note §4.2) ------------------------------------------------------------
    # rendered: 1 + solvability + min(c, 1 - c); else -(no_render + empty + not_svg), floored.
    codegen_no_render_penalty: float = 0.1
    codegen_empty_penalty: float = 0.05
    codegen_not_svg_penalty: float = 0.5
    codegen_penalty_floor: float = -0.5

    # --- Solver reward (note §4.3) -------------------------------------------------------------
    # (1 - w) * [boxed answer matches the label] + w * [exact <think>...</think>\boxed{...}].
    solver_format_weight: float = 0.1

    # --- filters (note §4.6) -------------------------------------------------------------------
    # CodeGen training set: keep proposals whose render rate over `codegen_filter.n` SVGs lies
    # in the window; False is the no-filter ablation (MM-zero_noFilter).
    codegen_render_filter: bool = True
    render_rate_window: tuple[float, float] = (0.25, 0.75)
    # Solver training set: easy self-consistency >= min, hard consistency in the window.
    min_easy_consistency: float = 0.5
    hard_consistency_window: tuple[float, float] = (0.25, 0.75)

    # --- answer voting (note §4.4, §4.6b, §11.4-5) ---------------------------------------------
    # The code merges any two answers that both contain "no " (§11.5); off by default.
    no_merge_rule: bool = False
    # Code: the offline labelling vote counts missing boxes ('None') in its denominator while the
    # reward service drops them (§11.4). Default: both drop them.
    label_counts_missing_boxes: bool = False
    # Deadline of one answer comparison (the code used a 10 s stopit timeout).
    grade_timeout_s: float = 5.0

    # --- seeds (note §2.1) ---------------------------------------------------------------------
    seeds_per_topic: int = 126
    # "topic": the prompt is the bare topic line, as the released prompts are; the default adds a
    # subject and a focus from zeroplay's vocabularies so the 126 rows of a topic differ.
    seed_style: SeedStyle = "topic_with_subject"

    # --- switches the recipe acts on (note §6, §11.1, §11.11) ----------------------------------
    # Which weights answer the judge questions in the CodeGen phase: the CodeGen starting
    # weights (released code; produced the published numbers) or the previous Solver (the
    # method figure). The game always asks policy "solver"; the recipe loads these weights.
    codegen_judge: CodegenJudge = "codegen_init"
    # Solver starting weights each iteration: the previous Solver (main_svg.sh, the published
    # run) or the base model (4B and main_base scripts, which also label with the base model).
    solver_init: SolverInit = "continue"

    def __post_init__(self) -> None:
        for name in ("render_rate_window", "hard_consistency_window"):
            low, high = getattr(self, name)
            if not 0.0 <= low <= high <= 1.0:
                raise ValueError(f"{name} must satisfy 0 <= low <= high <= 1, got {(low, high)}")
        if len(self.diversity_weights) != 3:
            raise ValueError("diversity_weights needs 3 weights (caption, easy q, hard q)")
        if not 0.0 <= self.content_type_threshold < 1.0:
            raise ValueError("content_type_threshold must be in [0, 1)")
        if not 0.0 <= self.solver_format_weight <= 1.0:
            raise ValueError("solver_format_weight must be in [0, 1]")
        if self.codegen_offline.n != 1:
            raise ValueError("codegen_offline.n must be 1: Solver data uses one SVG per proposal")
        if self.seeds_per_topic < 1:
            raise ValueError("seeds_per_topic must be >= 1")
        if self.codegen_judge not in ("codegen_init", "previous_solver"):
            raise ValueError(f"unknown codegen_judge {self.codegen_judge!r}")
        if self.solver_init not in ("continue", "base"):
            raise ValueError(f"unknown solver_init {self.solver_init!r}")
        if self.seed_style not in ("topic_with_subject", "topic"):
            raise ValueError(f"unknown seed_style {self.seed_style!r}")

    @classmethod
    def code(cls) -> MMZeroGameConfig:
        """The released code's behaviour, including the quirks the defaults fix (§11.4, §11.5)."""
        return replace(
            cls(), no_merge_rule=True, label_counts_missing_boxes=True, grade_timeout_s=10.0
        )
