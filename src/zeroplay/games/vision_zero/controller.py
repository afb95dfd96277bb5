"""Iterative-SPO: which stage's samples enter the loss at each optimizer step.

Both stages are played every iteration; the controller only picks which one trains. Modes:
- "paper" (default): hysteresis on averaged decision accuracy and abstention (paper §2.2, Alg. 1);
- "alternate": decision for `cycle_length` steps, then clue, and so on (the released code);
- "clue", "decision", "both": a fixed stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from zeroplay.games.vision_zero.stats import DecisionStats

Stage = Literal["clue", "decision", "both"]
ControllerMode = Literal["paper", "alternate", "clue", "decision", "both"]
CONTROLLER_MODES: tuple[ControllerMode, ...] = ("paper", "alternate", "clue", "decision", "both")

# Slack in threshold comparisons, so a steady average exactly at a threshold reaches it even when
# the bias-corrected average is off by one rounding step.
_THRESHOLD_SLACK = 1e-9


@dataclass(frozen=True)
class ControllerConfig:
    """Settings of the stage controller (paper Table 5 values as defaults).

    acc_to_clue, na_to_clue: leave decision when avg accuracy >= 0.9 and avg n/a <= 0.1.
    err_to_decision, na_to_decision: leave clue when avg error >= 0.4 or avg n/a >= 0.5.
    min_dwell: K_min, iterations in a stage before a threshold switch may happen.
    patience: P, iterations after which the stage switches anyway (None: never forced).
    bias_correction: divide the zero-initialised averages by (1 - rho^k) after k updates, so they
        are unbiased from the first iteration (without it, perfect accuracy needs 45 iterations
        to reach 0.9; reference note §4.1).
    cycle_length: L of the "alternate" mode.
    """

    mode: ControllerMode = "paper"
    rho: float = 0.95
    acc_to_clue: float = 0.9
    na_to_clue: float = 0.1
    err_to_decision: float = 0.4
    na_to_decision: float = 0.5
    min_dwell: int = 5
    patience: int | None = 20
    bias_correction: bool = True
    cycle_length: int = 1

    def __post_init__(self) -> None:
        if self.mode not in CONTROLLER_MODES:
            raise ValueError(f"mode must be one of {CONTROLLER_MODES}, got {self.mode!r}")
        if not 0 <= self.rho < 1:
            raise ValueError(f"rho must be in [0, 1), got {self.rho}")
        if self.min_dwell < 1:
            raise ValueError(f"min_dwell must be >= 1, got {self.min_dwell}")
        if self.patience is not None and self.patience < self.min_dwell:
            raise ValueError(f"patience ({self.patience}) must be >= min_dwell ({self.min_dwell})")
        if self.cycle_length < 1:
            raise ValueError(f"cycle_length must be >= 1, got {self.cycle_length}")


def alternate_stage(step: int, cycle_length: int) -> Stage:
    """The released code's phase: decision if step % (2L) < L, else clue (note §4.2)."""
    return "decision" if step % (2 * cycle_length) < cycle_length else "clue"


def _initial_stage(cfg: ControllerConfig) -> Stage:
    if cfg.mode == "paper":
        return "decision"  # Algorithm 1 starts with m = 0, the decision stage
    if cfg.mode == "alternate":
        return alternate_stage(0, cfg.cycle_length)
    return cfg.mode


class StageController:
    """Holds the active stage and the averaged decision statistics between optimizer steps."""

    def __init__(self, cfg: ControllerConfig | None = None) -> None:
        self.cfg = cfg or ControllerConfig()
        self._stage: Stage = _initial_stage(self.cfg)
        self._dwell = 0  # iterations finished in the current stage
        self._acc_ema = 0.0  # raw exponential averages, zero-initialised as in Algorithm 1
        self._na_ema = 0.0
        self._updates = 0  # iterations that measured decision statistics
        self._switches = 0

    @property
    def stage(self) -> Stage:
        """The stage whose samples enter the loss in the current iteration."""
        return self._stage

    @property
    def dwell(self) -> int:
        return self._dwell

    def trains(self, turn_stage: str) -> bool:
        """Whether a turn of stage `turn_stage` ("clue"/"decision") enters the loss now."""
        return self._stage == "both" or turn_stage == self._stage

    def _average(self, ema: float) -> float:
        if not self.cfg.bias_correction:
            return ema
        if self._updates == 0:
            return 0.0
        return ema / (1.0 - self.cfg.rho**self._updates)

    @property
    def accuracy_average(self) -> float:
        return self._average(self._acc_ema)

    @property
    def abstention_average(self) -> float:
        return self._average(self._na_ema)

    def update(self, stats: DecisionStats, step: int) -> Stage:
        """Records the finished optimizer step `step` and returns the stage for step + 1.

        `stats` are this iteration's decision statistics, summed over ranks; an iteration with no
        games leaves the averages unchanged.
        """
        rho = self.cfg.rho
        if stats.games:
            self._acc_ema = rho * self._acc_ema + (1.0 - rho) * stats.accuracy
            self._na_ema = rho * self._na_ema + (1.0 - rho) * stats.abstention_rate
            self._updates += 1
        self._dwell += 1
        following = self._next_stage(step)
        if following != self._stage:
            self._stage = following
            self._dwell = 0
            self._switches += 1
        return self._stage

    def _next_stage(self, step: int) -> Stage:
        cfg = self.cfg
        if cfg.mode == "alternate":
            return alternate_stage(step + 1, cfg.cycle_length)
        if cfg.mode != "paper":
            return cfg.mode
        flipped: Stage = "clue" if self._stage == "decision" else "decision"
        if cfg.patience is not None and self._dwell >= cfg.patience:
            return flipped
        if self._dwell < cfg.min_dwell:
            return self._stage
        acc, na = self.accuracy_average, self.abstention_average
        if self._stage == "decision":
            # Spotting the spy became easy: train the clue stage to make the games harder.
            easy = (
                acc >= cfg.acc_to_clue - _THRESHOLD_SLACK
                and na <= cfg.na_to_clue + _THRESHOLD_SLACK
            )
            return flipped if easy else self._stage
        # The decision-maker became too weak: train it again.
        weak = (
            1.0 - acc >= cfg.err_to_decision - _THRESHOLD_SLACK
            or na >= cfg.na_to_decision - _THRESHOLD_SLACK
        )
        return flipped if weak else self._stage

    def metrics(self) -> dict[str, float]:
        """The controller's part of the per-step log."""
        return {
            "spo/clue_active": 1.0 if self.trains("clue") else 0.0,
            "spo/decision_active": 1.0 if self.trains("decision") else 0.0,
            "spo/dwell": float(self._dwell),
            "spo/accuracy_average": self.accuracy_average,
            "spo/abstention_average": self.abstention_average,
            "spo/switches": float(self._switches),
        }

    def state_dict(self) -> dict[str, Any]:
        """A JSON-able snapshot for checkpoints."""
        return {
            "mode": self.cfg.mode,
            "stage": self._stage,
            "dwell": self._dwell,
            "acc_ema": self._acc_ema,
            "na_ema": self._na_ema,
            "updates": self._updates,
            "switches": self._switches,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restores a snapshot from `state_dict`; the mode must match this controller's."""
        if state["mode"] != self.cfg.mode:
            raise ValueError(
                f"checkpoint controller mode {state['mode']!r} differs from the configured "
                f"{self.cfg.mode!r}; resume with the same mode or start a new run"
            )
        if state["stage"] not in ("clue", "decision", "both"):
            raise ValueError(f"checkpoint controller stage {state['stage']!r} is not a stage")
        self._stage = state["stage"]
        self._dwell = int(state["dwell"])
        self._acc_ema = float(state["acc_ema"])
        self._na_ema = float(state["na_ema"])
        self._updates = int(state["updates"])
        self._switches = int(state["switches"])
