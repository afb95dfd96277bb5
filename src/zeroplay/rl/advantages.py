"""Advantage estimators: turn per-sample rewards into the per-sample advantages the loss weights.

Four estimators, chosen per stage or role by an `AdvantageSpec` (equations in docs/rl_math.md):
group z-score (GRPO), group mean-centring (Dr. GRPO), role-conditioned EMA baselines (RAE, from
SPIRAL and Vision-Zero) and the raw reward. All are plain Python on float lists: rewards are few
(one per sampled completion), and exact float64 arithmetic makes the hand-computed tests exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

StdKind = Literal["population", "unbiased"]
EstimatorKind = Literal["zscore", "center", "role_ema", "raw"]
RaeUpdate = Literal["per_game", "per_batch"]

# An all-gather over data-parallel ranks: every rank's flat float list in rank order, and the
# index of the calling rank.
Gather = Callable[[list[float]], tuple[list[list[float]], int]]


def _check_rewards(rewards: Sequence[float]) -> list[float]:
    values = [float(r) for r in rewards]
    for i, r in enumerate(values):
        if not math.isfinite(r):
            raise ValueError(f"reward {i} is not finite ({r}); a game must define every reward")
    return values


def _check_same_length(name: str, items: Sequence[Any], n: int) -> None:
    if len(items) != n:
        raise ValueError(f"{name} has {len(items)} entries but there are {n} rewards")


def _members(groups: Sequence[Hashable]) -> dict[Hashable, list[int]]:
    """Indices of each group, groups in order of first appearance."""
    members: dict[Hashable, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    return members


def group_zscore(
    rewards: Sequence[float],
    groups: Sequence[Hashable],
    *,
    std: StdKind = "population",
    eps: float = 1e-6,
) -> list[float]:
    """GRPO advantage `A_i = (r_i - mean_g) / (std_g + eps)` within each sample's group `g`.

    `std="population"` divides the variance by n (Vision-Zero's decision stage), `"unbiased"` by
    n - 1 (veRL/EasyR1's `torch.std`, used by VisPlay and MM-Zero). A group of one sample, or a
    group whose rewards are all equal, carries no signal and gets exactly zero advantage.
    """
    if std not in ("population", "unbiased"):
        raise ValueError(f"std must be 'population' or 'unbiased', got {std!r}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    values = _check_rewards(rewards)
    _check_same_length("groups", groups, len(values))
    out = [0.0] * len(values)
    for idx in _members(groups).values():
        group = [values[i] for i in idx]
        # Equal rewards (this includes a group of one) give exact zeros, never 0/eps noise.
        if len(group) < 2 or max(group) == min(group):
            continue
        mean = math.fsum(group) / len(group)
        dof = len(group) if std == "population" else len(group) - 1
        sigma = math.sqrt(math.fsum((r - mean) ** 2 for r in group) / dof)
        for i in idx:
            out[i] = (values[i] - mean) / (sigma + eps)
    return out


def group_center(rewards: Sequence[float], groups: Sequence[Hashable]) -> list[float]:
    """Dr. GRPO advantage `A_i = r_i - mean_g`: centred within the group, not scaled by its std."""
    values = _check_rewards(rewards)
    _check_same_length("groups", groups, len(values))
    out = [0.0] * len(values)
    for idx in _members(groups).values():
        group = [values[i] for i in idx]
        if max(group) == min(group):
            continue
        mean = math.fsum(group) / len(group)
        for i in idx:
            out[i] = values[i] - mean
    return out


def raw(rewards: Sequence[float]) -> list[float]:
    """No baseline: `A_i = r_i` (REINFORCE with the reward as is)."""
    return _check_rewards(rewards)


class RoleBaseline:
    """RAE: one exponential-moving-average baseline per role, `A = r - b_role`.

    Each update is `b <- alpha * b + (1 - alpha) * mean(rewards of the role in the unit)`, applied
    before subtracting (Vision-Zero paper Eq. 2 / Alg. 1 lines 7-8, code gen l.686-779). The unit
    of one update is a game when `games` is given to `advantages` (the paper: "after every
    game"), otherwise the whole batch (the code: one update per step from the cross-GPU mean).
    """

    def __init__(self, alpha: float, init: float = 0.0, roles: Sequence[str] | None = None):
        """`roles` fixes the role order; it is required when a cross-rank `gather` is used so
        every rank lays out the same vector. Without it, roles are added as they appear."""
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        if not math.isfinite(init):
            raise ValueError(f"init must be finite, got {init}")
        self.alpha = float(alpha)
        self.init = float(init)
        self._fixed_roles = roles is not None
        self._baselines: dict[str, float] = {}
        self._updates: dict[str, int] = {}
        for role in roles or ():
            self._add_role(role)

    def _add_role(self, role: str) -> None:
        if role not in self._baselines:
            self._baselines[role] = self.init
            self._updates[role] = 0

    @property
    def baselines(self) -> dict[str, float]:
        """Current baseline of each role (a copy, for logging)."""
        return dict(self._baselines)

    @property
    def roles(self) -> list[str]:
        return list(self._baselines)

    def advantages(
        self,
        rewards: Sequence[float],
        roles: Sequence[str],
        *,
        games: Sequence[Hashable] | None = None,
        gather: Gather | None = None,
    ) -> list[float]:
        """Update each role's baseline from these rewards, then return `r_i - b_{role_i}`.

        `games=None` makes the batch one update unit: each role present moves once, towards the
        mean of its rewards here (the released code; with copies of a player's reward on each
        of its turns this mean still weights players equally when all play the same number of
        turns). With `games`, the units are the games in order of first appearance and each
        sample is compared with its role's baseline right after its own game's update (the
        paper). `games=range(n)` updates once per reward.

        `gather` collects a flat float list from every data-parallel rank in rank order (and
        says which is the caller's). With
        it, the baselines follow one global sequence of updates, the same on every rank and for
        any world size: per game, the units of rank 0 (in their order), then rank 1's, ... which
        is the global game order when each rank plays a consecutive block of the games. With
        `games=None` the ranks' batches are pooled into one update (the code's cross-GPU mean).
        """
        values = _check_rewards(rewards)
        n = len(values)
        _check_same_length("roles", roles, n)
        if games is not None:
            _check_same_length("games", games, n)
        if gather is not None and not self._fixed_roles:
            raise ValueError("pass roles= to RoleBaseline so every rank gathers the same layout")
        for role in roles:
            if role not in self._baselines:
                if self._fixed_roles:
                    raise ValueError(f"role {role!r} is not one of {self.roles}")
                self._add_role(role)

        unit_of: list[int]
        if games is None:
            # One unit even for an empty batch, so a rank with no samples still takes part.
            unit_of = [0] * n
            n_units = 1
        else:
            index: dict[Hashable, int] = {}
            unit_of = [index.setdefault(g, len(index)) for g in games]
            n_units = len(index)

        order = self.roles
        slot = {role: k for k, role in enumerate(order)}
        width = 2 * len(order)
        # Flat layout: unit-major, then role, then (sum, count).
        stats = [0.0] * (width * n_units)
        for r, role, u in zip(values, roles, unit_of, strict=True):
            base = u * width + 2 * slot[role]
            stats[base] += r
            stats[base + 1] += 1.0
        units = [stats[u * width : (u + 1) * width] for u in range(n_units)]
        first_unit = 0  # where this rank's units sit in the global sequence
        if gather is not None:
            gathered, rank = gather(stats)
            per_rank = [[float(x) for x in xs] for xs in gathered]
            if any(len(xs) % width for xs in per_rank):
                raise ValueError("gather returned lists that do not match the role layout")
            if games is None:
                pooled = [math.fsum(xs[k] for xs in per_rank) for k in range(width)]
                units = [pooled]
            else:
                first_unit = sum(len(xs) // width for xs in per_rank[:rank])
                units = [xs[k : k + width] for xs in per_rank for k in range(0, len(xs), width)]

        after: dict[tuple[int, str], float] = {}
        for u, unit in enumerate(units):
            for role in order:
                total, count = unit[2 * slot[role]], unit[2 * slot[role] + 1]
                if count > 0:
                    b = self._baselines[role]
                    self._baselines[role] = self.alpha * b + (1.0 - self.alpha) * (total / count)
                    self._updates[role] += 1
                after[(u, role)] = self._baselines[role]
        return [
            r - after[(first_unit + u, role)]
            for r, role, u in zip(values, roles, unit_of, strict=True)
        ]

    def state_dict(self) -> dict[str, Any]:
        """JSON-able state for checkpoints: each role's baseline and how many updates it has had."""
        return {"baselines": dict(self._baselines), "updates": dict(self._updates)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore baselines saved by `state_dict` (a resumed run continues the same EMA)."""
        baselines = {str(k): float(v) for k, v in state["baselines"].items()}
        updates = {str(k): int(v) for k, v in state.get("updates", {}).items()}
        if self._fixed_roles and set(baselines) - set(self._baselines):
            extra = sorted(set(baselines) - set(self._baselines))
            raise ValueError(f"checkpoint has roles {extra} not among {self.roles}")
        for role, value in baselines.items():
            if not math.isfinite(value):
                raise ValueError(f"baseline of role {role!r} is not finite ({value})")
            self._add_role(role)
            self._baselines[role] = value
            self._updates[role] = updates.get(role, 0)


@dataclass(frozen=True)
class AdvantageSpec:
    """Which estimator a stage or role uses, with its knobs (maps one-to-one onto YAML).

    Knobs of other estimators must stay unset (None); unset knobs of the chosen one get their
    defaults: zscore std "population", eps 1e-6; role_ema alpha 0.95 (Vision-Zero paper; its
    code used 0.9), init 0.0, rae_update "per_game" (paper; "per_batch" is the code).
    """

    kind: EstimatorKind = "zscore"
    std: StdKind | None = None
    eps: float | None = None
    alpha: float | None = None
    init: float | None = None
    rae_update: RaeUpdate | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("zscore", "center", "role_ema", "raw"):
            raise ValueError(f"unknown advantage estimator {self.kind!r}")
        own = {"zscore": ("std", "eps"), "role_ema": ("alpha", "init", "rae_update")}
        defaults: dict[str, Any] = {
            "std": "population",
            "eps": 1e-6,
            "alpha": 0.95,
            "init": 0.0,
            "rae_update": "per_game",
        }
        mine = own.get(self.kind, ())
        for name, default in defaults.items():
            if name in mine:
                if getattr(self, name) is None:
                    object.__setattr__(self, name, default)
            elif getattr(self, name) is not None:
                raise ValueError(f"{name} is not a knob of the {self.kind!r} estimator")
        if self.std is not None and self.std not in ("population", "unbiased"):
            raise ValueError(f"std must be 'population' or 'unbiased', got {self.std!r}")
        if self.eps is not None and not self.eps > 0:
            raise ValueError(f"eps must be > 0, got {self.eps}")
        if self.alpha is not None and not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha}")
        if self.rae_update is not None and self.rae_update not in ("per_game", "per_batch"):
            raise ValueError(
                f"rae_update must be 'per_game' or 'per_batch', got {self.rae_update!r}"
            )

    def new_baseline(self, roles: Sequence[str] | None = None) -> RoleBaseline:
        """A fresh `RoleBaseline` with this spec's alpha and init (role_ema only)."""
        if self.kind != "role_ema":
            raise ValueError(f"the {self.kind!r} estimator keeps no baseline")
        assert self.alpha is not None and self.init is not None
        return RoleBaseline(self.alpha, self.init, roles)


def compute_advantages(
    spec: AdvantageSpec,
    rewards: Sequence[float],
    *,
    groups: Sequence[Hashable] | None = None,
    roles: Sequence[str] | None = None,
    baseline: RoleBaseline | None = None,
    gather: Gather | None = None,
) -> list[float]:
    """Advantages of `rewards` under `spec`.

    `groups` are the GRPO groups for zscore/center and the games for role_ema with
    `rae_update="per_game"`. `roles`, `baseline` (from `spec.new_baseline`, kept across steps
    and checkpointed) and `gather` (over data-parallel ranks) serve role_ema only; group
    estimators need no gather because a group's samples are scored on one rank.
    """
    if spec.kind == "raw":
        return raw(rewards)
    if spec.kind in ("zscore", "center"):
        if groups is None:
            raise ValueError(f"the {spec.kind!r} estimator needs groups")
        if spec.kind == "center":
            return group_center(rewards, groups)
        assert spec.std is not None and spec.eps is not None
        return group_zscore(rewards, groups, std=spec.std, eps=spec.eps)
    if roles is None or baseline is None:
        raise ValueError("the 'role_ema' estimator needs roles and a RoleBaseline")
    if baseline.alpha != spec.alpha or baseline.init != spec.init:
        raise ValueError(
            f"baseline (alpha={baseline.alpha}, init={baseline.init}) does not match the spec "
            f"(alpha={spec.alpha}, init={spec.init})"
        )
    if spec.rae_update == "per_game" and groups is None:
        raise ValueError("rae_update='per_game' needs groups (the game of each sample)")
    games = groups if spec.rae_update == "per_game" else None
    return baseline.advantages(rewards, roles, games=games, gather=gather)
