"""The Vision-Zero game configuration: players, rounds, decision mode, rewards and sampling.

Every field where the paper and the released code differ is a named switch; the defaults follow
the issue: the code's 4 players and observer decision (what produced the published checkpoints),
the paper's decision reward. See docs/vision_zero.md for the full table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from zeroplay.engines.request import SamplingParams

Domain = Literal["clevr", "chart", "photo"]
DecisionMode = Literal["observer", "civilians"]
DecisionRewardKind = Literal["paper", "code"]

DOMAINS: tuple[Domain, ...] = ("clevr", "chart", "photo")
DECISION_MODES: tuple[DecisionMode, ...] = ("observer", "civilians")
DECISION_REWARD_KINDS: tuple[DecisionRewardKind, ...] = ("paper", "code")


@dataclass(frozen=True)
class TurnSampling:
    """Sampling settings for one kind of turn; the game sets `n` (1 per clue, G per vote).

    The released code samples at temperature 0.8 with 1024 new tokens, at least 20 (clue) or 100
    (vote) tokens and a repetition penalty of 1.1 on votes; the paper states only a 512-token limit.
    """

    max_new_tokens: int = 512
    temperature: float = 0.8
    top_p: float = 1.0
    top_k: int = 0
    min_new_tokens: int = 0
    repetition_penalty: float = 1.0

    def __post_init__(self) -> None:
        self.params(1)  # validates every field with SamplingParams' own checks

    def params(self, n: int, seed: int | None = None) -> SamplingParams:
        """The engine sampling parameters for `n` samples of one request."""
        return SamplingParams(
            n=n,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            max_new_tokens=self.max_new_tokens,
            min_new_tokens=self.min_new_tokens,
            repetition_penalty=self.repetition_penalty,
            seed=seed,
        )


@dataclass(frozen=True)
class VisionZeroGameConfig:
    """How one "Who is the spy?" game is played and scored.

    n_players: all players, spy included (code: 4 = 3 civilians + 1 spy; paper: 5).
    n_rounds: clue rounds before the decision (2 in paper and code).
    decision_mode: "observer" (code: one role-less judge with the original image, sampled
        `group_size` times) or "civilians" (paper: each civilian votes `group_size` times).
    group_size: G, samples per decision prompt (8).
    blank_spy: the spy sees a blank image instead of the modified one (paper v2).
    domain: which prompt texts to use: CLEVR scenes, charts or real photos.
    decision_reward: "paper" (+1 / -0.5 / -1) or "code" (format + accuracy + bonus).
    beta, lam: the zero-sum clue reward's weights (paper Eq. 1, both 0.1).
    clue_sampling, decision_sampling: engine settings for clue and vote turns.
    """

    n_players: int = 4
    n_rounds: int = 2
    decision_mode: DecisionMode = "observer"
    group_size: int = 8
    blank_spy: bool = False
    domain: Domain = "clevr"
    decision_reward: DecisionRewardKind = "paper"
    beta: float = 0.1
    lam: float = 0.1
    clue_sampling: TurnSampling = field(default_factory=TurnSampling)
    decision_sampling: TurnSampling = field(default_factory=TurnSampling)

    def __post_init__(self) -> None:
        if self.n_players < 3:
            raise ValueError(
                f"n_players must be >= 3 (a spy and two civilians), got {self.n_players}"
            )
        if self.n_rounds < 1:
            raise ValueError(f"n_rounds must be >= 1, got {self.n_rounds}")
        if self.group_size < 1:
            raise ValueError(f"group_size must be >= 1, got {self.group_size}")
        if self.decision_mode not in DECISION_MODES:
            raise ValueError(
                f"decision_mode must be one of {DECISION_MODES}, got {self.decision_mode!r}"
            )
        if self.domain not in DOMAINS:
            raise ValueError(f"domain must be one of {DOMAINS}, got {self.domain!r}")
        if self.decision_reward not in DECISION_REWARD_KINDS:
            raise ValueError(
                f"decision_reward must be one of {DECISION_REWARD_KINDS}, got {self.decision_reward!r}"
            )
        if self.beta < 0 or self.lam < 0:
            raise ValueError(f"beta and lam must be >= 0, got {self.beta} and {self.lam}")

    @property
    def n_civilians(self) -> int:
        return self.n_players - 1
