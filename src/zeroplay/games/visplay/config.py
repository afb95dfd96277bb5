"""Every switch of the VisPlay game, with paper defaults and a preset for the released code.

Reference: /work/shared/reference/visplay.md (VisPlay, arXiv 2511.15661, repo bruno686/VisPlay).
Where the paper says nothing, the default is the released code's value; `docs/visplay.md` lists
each switch, its default and which preset changes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from zeroplay.engines.request import SamplingParams

RewardVariant = Literal["paper", "code"]
DiversityScope = Literal["image", "batch"]
PromptStyle = Literal["consistent", "code"]
NonAnswers = Literal["counted", "excluded"]


@dataclass(frozen=True)
class RoleSampling:
    """Sampling settings for one use of one role; the number of samples comes from the game."""

    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    max_new_tokens: int = 4096

    def params(self, n: int) -> SamplingParams:
        """The engine's `SamplingParams` for `n` samples with these settings."""
        return SamplingParams(
            n=n,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            max_new_tokens=self.max_new_tokens,
        )


@dataclass(frozen=True)
class VisPlayGameConfig:
    """All VisPlay game switches. Defaults follow the paper; `code()` reproduces the released code."""

    # --- questioner reward (note §2) ---------------------------------------------------------
    # paper: valid * ReLU((1 - |2c - 1|) - lambda * |C_k| / N), invalid -> 0   (Eq. 4-8)
    # code:  min(c, 1 - c) - |C| / N, invalid -> -1 - |C| / N                (cot_val.py)
    reward_variant: RewardVariant = "paper"
    # lambda of the paper's diversity penalty; the paper leaves it unspecified. With 1.0 a question
    # whose G siblings are all near-duplicates earns nothing. Unused by the code variant.
    diversity_lambda: float = 1.0
    # Which questions are clustered together for the redundancy share |C|/N: the G questions of
    # one image (paper) or every question of the round (code, O(N^2) BLEU calls).
    diversity_scope: DiversityScope = "image"
    # Average-linkage distance threshold on 1 - BLEU (paper and code: 0.5).
    bleu_distance_threshold: float = 0.5
    # G: questions sampled per image in questioner training (the GRPO group).
    questioner_group_size: int = 8
    # m for the questioner reward: reasoner samples per question (code: 10; paper: unspecified).
    reward_samples: int = 10

    # --- question parsing (note §1.1) ----------------------------------------------------------
    # Require <type> to name one of multiple choice / numerical / regression (strict). Neither
    # the code (any non-empty type, §9.2 item 19) nor the paper (no type at all) checks it, so
    # the default follows them; a recognised type is normalised either way.
    validate_type: bool = False

    # --- voting (note §2.3, §10.4) -------------------------------------------------------------
    # Do not count missing boxes ("None" in the code) as votes. The code counts them, which lets a
    # question that stops the reasoner from boxing look uncertain (§9.2 item 5).
    drop_non_answers: bool = True
    # How replies without an answer (no box, an empty box, "None") count in the confidence c.
    # counted: among the m samples, as the paper's c = count / m and the code do. A question that
    # makes the reasoner stop answering then looks uncertain (5 non-answers + 5 agreeing replies
    # give c = 0.5, the best reward): a reward-hacking path (§2.3). excluded: c = count /
    # answered replies, and a question whose replies are mostly non-answers is invalid (reward
    # as for a malformed question; dropped in curation). `excluded` needs drop_non_answers.
    non_answers: NonAnswers = "counted"
    # The code's extra merge rule: two answers that both contain "no " are equal (§9.2 item 6).
    no_merge_rule: bool = False
    # Timeout for each call of the answer grader (code: 10 s via stopit).
    grade_timeout_s: float = 5.0

    # --- curation (note §3.1) ------------------------------------------------------------------
    # Questions generated per image for the reasoner's training set (code: 8 seeds x n=1).
    questions_per_image: int = 8
    # m for pseudo-labelling: reasoner samples per generated question (code: 9).
    label_samples: int = 9
    # Keep a question when confidence_low <= c <= confidence_high (paper 0.25/0.75, code 0.3/0.8).
    confidence_low: float = 0.25
    confidence_high: float = 0.75
    # Drop questions mentioning "box" or "证明" (proof) and labels containing "text", as the code's
    # curation does (note §3.1 step 2, §10.7).
    drop_keyword_items: bool = True

    # --- reasoner reward (note §3.2) -----------------------------------------------------------
    # paper: 1[grade(last_boxed(y), silver)] (Eq. 10); code: 0.9 * accuracy + 0.1 * format, where
    # format is a full match of <think>...</think> \boxed{...}.
    reasoner_reward_variant: RewardVariant = "paper"
    # Samples per kept question in reasoner training (the GRPO group).
    reasoner_group_size: int = 8

    # --- prompts (note §1.1, §1.2) -------------------------------------------------------------
    # consistent: one questioner prompt for training and generation, one chain-of-thought reasoner
    # prompt for reward, labelling and training. code: the released code's five prompts.
    prompt_style: PromptStyle = "consistent"

    # --- sampling per role and use (note §1.2, §3.1, §6) ---------------------------------------
    questioner_train_sampling: RoleSampling = field(
        default_factory=lambda: RoleSampling(temperature=1.0, top_p=0.99, max_new_tokens=2048)
    )
    questioner_generate_sampling: RoleSampling = field(
        default_factory=lambda: RoleSampling(temperature=1.0, top_p=0.95, max_new_tokens=4096)
    )
    reasoner_reward_sampling: RoleSampling = field(
        default_factory=lambda: RoleSampling(
            temperature=1.0, top_p=1.0, top_k=40, max_new_tokens=4096
        )
    )
    reasoner_label_sampling: RoleSampling = field(
        default_factory=lambda: RoleSampling(
            temperature=1.0, top_p=1.0, top_k=40, max_new_tokens=4096
        )
    )
    reasoner_train_sampling: RoleSampling = field(
        default_factory=lambda: RoleSampling(temperature=1.0, top_p=0.99, max_new_tokens=4096)
    )

    def __post_init__(self) -> None:
        if self.reward_variant not in ("paper", "code"):
            raise ValueError(
                f"reward_variant must be 'paper' or 'code', got {self.reward_variant!r}"
            )
        if self.reasoner_reward_variant not in ("paper", "code"):
            raise ValueError(
                "reasoner_reward_variant must be 'paper' or 'code', "
                f"got {self.reasoner_reward_variant!r}"
            )
        if self.diversity_scope not in ("image", "batch"):
            raise ValueError(
                f"diversity_scope must be 'image' or 'batch', got {self.diversity_scope!r}"
            )
        if self.prompt_style not in ("consistent", "code"):
            raise ValueError(
                f"prompt_style must be 'consistent' or 'code', got {self.prompt_style!r}"
            )
        for name in (
            "questioner_group_size",
            "reward_samples",
            "questions_per_image",
            "label_samples",
            "reasoner_group_size",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 <= self.confidence_low <= self.confidence_high <= 1.0:
            raise ValueError("need 0 <= confidence_low <= confidence_high <= 1")
        if self.diversity_lambda < 0:
            raise ValueError("diversity_lambda must be >= 0")
        if not 0.0 < self.bleu_distance_threshold <= 1.0:
            raise ValueError("bleu_distance_threshold must be in (0, 1]")
        if self.grade_timeout_s <= 0:
            raise ValueError("grade_timeout_s must be > 0")
        if self.non_answers not in ("counted", "excluded"):
            raise ValueError(
                f"non_answers must be 'counted' or 'excluded', got {self.non_answers!r}"
            )
        if self.non_answers == "excluded" and not self.drop_non_answers:
            raise ValueError(
                "non_answers 'excluded' needs drop_non_answers: a missing box cannot both vote "
                "and be left out of the confidence"
            )

    @classmethod
    def paper(cls, **overrides: Any) -> VisPlayGameConfig:
        """The paper's game (the defaults), with optional overrides."""
        return cls(**overrides)

    @classmethod
    def code(cls, **overrides: Any) -> VisPlayGameConfig:
        """The game as the released code plays it (bruno686/VisPlay 3aa895b), with overrides."""
        settings: dict[str, Any] = {
            "reward_variant": "code",
            "diversity_scope": "batch",
            "validate_type": False,
            "drop_non_answers": False,
            "no_merge_rule": True,
            "grade_timeout_s": 10.0,
            "confidence_low": 0.3,
            "confidence_high": 0.8,
            "reasoner_reward_variant": "code",
            "prompt_style": "code",
        }
        settings.update(overrides)
        return cls(**settings)

    def with_(self, **changes: Any) -> VisPlayGameConfig:
        """A copy with some switches changed."""
        return replace(self, **changes)
