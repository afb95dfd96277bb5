"""Advantage estimators against hand-computed values, plus RAE's cross-rank agreement."""

from __future__ import annotations

import json
import math
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroplay.rl.advantages import (
    AdvantageSpec,
    RoleBaseline,
    compute_advantages,
    group_center,
    group_zscore,
    raw,
)


def test_zscore_population_by_hand() -> None:
    # Group a = [1, 2, 3]: mean 2, population variance (1 + 0 + 1) / 3, std sqrt(2/3).
    sigma = math.sqrt(2 / 3)
    out = group_zscore([1, 2, 3], ["a", "a", "a"], eps=1e-6)
    assert out == pytest.approx([-1 / (sigma + 1e-6), 0.0, 1 / (sigma + 1e-6)], abs=1e-12)


def test_zscore_unbiased_by_hand_with_interleaved_groups() -> None:
    # Group a = [1, 3] (indices 0, 2): mean 2, unbiased variance (1 + 1) / 1 = 2, std sqrt(2).
    # Group b = [10, 20] (indices 1, 3): mean 15, unbiased variance 50, std sqrt(50).
    out = group_zscore([1, 10, 3, 20], ["a", "b", "a", "b"], std="unbiased", eps=0.5)
    s_a, s_b = math.sqrt(2), math.sqrt(50)
    expected = [-1 / (s_a + 0.5), -5 / (s_b + 0.5), 1 / (s_a + 0.5), 5 / (s_b + 0.5)]
    assert out == pytest.approx(expected, abs=1e-12)


def test_zscore_degenerate_groups_are_exact_zeros() -> None:
    # 0.1 three times has an fp mean slightly off 0.1; the result must still be exactly 0.
    out = group_zscore([0.1, 0.1, 0.1, 7.0, 2.0], [0, 0, 0, 1, 2], std="unbiased")
    assert out == [0.0, 0.0, 0.0, 0.0, 0.0]


def test_vision_zero_decision_rewards_zscore() -> None:
    # Code decision rewards: 2 correct (2.49), 1 n/a (-0.3), 1 wrong (-0.9); mean 0.945.
    rewards = [2.49, 2.49, -0.3, -0.9]
    mean = 0.945
    sigma = math.sqrt(sum((r - mean) ** 2 for r in rewards) / 4)
    out = group_zscore(rewards, ["g"] * 4, eps=1e-8)
    assert out == pytest.approx([(r - mean) / (sigma + 1e-8) for r in rewards], abs=1e-12)
    assert sigma == pytest.approx(1.5595, abs=1e-4)


def test_center_and_raw() -> None:
    assert group_center([1, 2, 6, 5], ["x", "x", "x", "y"]) == pytest.approx([-2, -1, 3, 0])
    assert raw([1, -2.5]) == [1.0, -2.5]


def test_non_finite_rewards_and_length_mismatch_are_errors() -> None:
    with pytest.raises(ValueError, match="not finite"):
        group_zscore([1.0, float("nan")], [0, 0])
    with pytest.raises(ValueError, match="groups has 1"):
        group_center([1.0, 2.0], [0])
    with pytest.raises(ValueError, match="eps"):
        group_zscore([1.0], [0], eps=0.0)


@given(
    st.lists(
        st.tuples(st.floats(-1e6, 1e6), st.integers(0, 3)),
        max_size=30,
    ),
    st.sampled_from(["population", "unbiased"]),
)
def test_zscore_properties(pairs: list[tuple[float, int]], std: str) -> None:
    rewards = [r for r, _ in pairs]
    groups = [g for _, g in pairs]
    out = group_zscore(rewards, groups, std=std)  # type: ignore[arg-type]
    assert all(math.isfinite(a) for a in out)
    for g in set(groups):
        idx = [i for i, x in enumerate(groups) if x == g]
        assert abs(sum(out[i] for i in idx)) <= 1e-6 * len(idx)
        if len({rewards[i] for i in idx}) == 1:
            assert all(out[i] == 0.0 for i in idx)


def test_role_baseline_per_batch_by_hand() -> None:
    # Vision-Zero §3.1 worked example: r_spy = -0.567, civilians 0.122, 0.222, 0.222, each
    # reward copied to the player's two clue turns. alpha 0.9, baselines start at 0.
    rae = RoleBaseline(0.9)
    roles = ["spy", "civ", "civ", "civ"] * 2
    rewards = [-0.567, 0.122, 0.222, 0.222] * 2
    out = rae.advantages(rewards, roles)
    b_spy = 0.1 * -0.567  # -0.0567
    b_civ = 0.1 * (0.122 + 0.222 + 0.222) / 3  # 0.018866...
    assert rae.baselines == pytest.approx({"spy": b_spy, "civ": b_civ})
    assert out[:4] == pytest.approx([-0.567 - b_spy, 0.122 - b_civ, 0.222 - b_civ, 0.222 - b_civ])
    # Second step, spy only: b_spy = 0.9 * -0.0567 + 0.1 * 0.2 = -0.03103; civ is untouched.
    assert rae.advantages([0.2], ["spy"]) == pytest.approx([0.2 + 0.03103])
    assert rae.baselines["civ"] == pytest.approx(b_civ)
    assert rae.state_dict()["updates"] == {"spy": 2, "civ": 1}


def test_role_baseline_per_game_is_sequential() -> None:
    # Two games in one call. alpha 0.5, init 1.0.
    # game A: spy 3 -> b_spy = 0.5*1 + 0.5*3 = 2; civ mean(1, 5) = 3 -> b_civ = 2.
    # game B: spy 0 -> b_spy = 0.5*2 + 0 = 1;   civ 4 -> b_civ = 0.5*2 + 0.5*4 = 3.
    rae = RoleBaseline(0.5, init=1.0)
    out = rae.advantages(
        [3, 1, 5, 0, 4], ["spy", "civ", "civ", "spy", "civ"], games=["A", "A", "A", "B", "B"]
    )
    assert out == pytest.approx([3 - 2, 1 - 2, 5 - 2, 0 - 1, 4 - 3])
    assert rae.baselines == {"spy": 1.0, "civ": 3.0}
    # Same result as one call per game.
    other = RoleBaseline(0.5, init=1.0)
    other.advantages([3, 1, 5], ["spy", "civ", "civ"])
    assert other.advantages([0, 4], ["spy", "civ"]) == pytest.approx(out[3:])


def test_role_baseline_per_reward_units() -> None:
    # games=range(n): b <- 0.5 b + 0.5 r after each reward: 2, then 0.5*2 + 0.5*4 = 3.
    rae = RoleBaseline(0.5)
    assert rae.advantages([4, 4], ["p", "p"], games=range(2)) == pytest.approx([2, 1])


def _run_ranks(batches, *, games=None, roles=("spy", "civ")):
    """Run one RoleBaseline per simulated rank in threads; gather is a barrier + list copy."""
    n = len(batches)
    posted: list[list[float] | None] = [None] * n
    barrier = threading.Barrier(n)
    results: list = [None] * n
    baselines: list = [None] * n

    def worker(rank: int) -> None:
        def gather(xs: list[float]) -> tuple[list[list[float]], int]:
            posted[rank] = list(xs)
            barrier.wait()
            everyone = [list(p) for p in posted]
            barrier.wait()
            return everyone, rank

        rae = RoleBaseline(0.9, roles=roles)
        rewards, rank_roles = batches[rank]
        g = None if games is None else games[rank]
        results[rank] = rae.advantages(rewards, rank_roles, games=g, gather=gather)
        baselines[rank] = rae.baselines

    threads = [threading.Thread(target=worker, args=(r,)) for r in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, baselines


def test_role_baseline_per_batch_gather_pools_ranks() -> None:
    # Rank 0: spy -0.6, civs 0.2, 0.2; rank 1: spy 0.3, civ 0.0 only.
    # Global spy mean (-0.6 + 0.3) / 2 = -0.15; global civ mean 0.4 / 3.
    batches = [([-0.6, 0.2, 0.2], ["spy", "civ", "civ"]), ([0.3, 0.0], ["spy", "civ"])]
    results, baselines = _run_ranks(batches)
    b_spy, b_civ = 0.1 * -0.15, 0.1 * 0.4 / 3
    for b in baselines:
        assert b == pytest.approx({"spy": b_spy, "civ": b_civ})
    assert results[1] == pytest.approx([0.3 - b_spy, 0.0 - b_civ])
    # A rank with an empty batch still joins the gather and ends with the same baselines.
    _, baselines = _run_ranks([batches[0], ([], [])])
    assert baselines[0] == baselines[1]


def test_role_baseline_per_game_is_world_size_independent() -> None:
    # Four games in global order a, b, c, d; one rank plays all, or two ranks play two each,
    # or four ranks one each: the same four updates in the same order, the same advantages.
    rewards = [1.0, -0.2, -1.0, 0.4, 3.0, 0.0, -3.0, 0.8]
    roles = ["spy", "civ"] * 4
    games = ["a", "a", "b", "b", "c", "c", "d", "d"]
    one, one_b = _run_ranks([(rewards, roles)], games=[games])
    for world in (2, 4):
        k = len(rewards) // world
        batches = [(rewards[r * k : (r + 1) * k], roles[r * k : (r + 1) * k]) for r in range(world)]
        split = [games[r * k : (r + 1) * k] for r in range(world)]
        results, baselines = _run_ranks(batches, games=split)
        assert [x for part in results for x in part] == pytest.approx(one[0], abs=1e-12)
        for b in baselines:
            assert b == pytest.approx(one_b[0], abs=1e-12)
    # Hand check of the first two updates (alpha 0.9): game a: b_spy = 0.1, b_civ = -0.02.
    assert one[0][:2] == pytest.approx([1.0 - 0.1, -0.2 + 0.02])
    # Game b: b_spy = 0.09 - 0.1 = -0.01.
    assert one[0][2] == pytest.approx(-1.0 + 0.01)


def test_role_baseline_state_roundtrip_through_json() -> None:
    rae = RoleBaseline(0.95, roles=["spy", "civ"])
    rae.advantages([1.0, -0.5], ["spy", "civ"])
    state = json.loads(json.dumps(rae.state_dict()))
    resumed = RoleBaseline(0.95, roles=["spy", "civ"])
    resumed.load_state_dict(state)
    assert resumed.baselines == rae.baselines
    assert resumed.advantages([0.3], ["civ"]) == rae.advantages([0.3], ["civ"])


def test_role_baseline_errors() -> None:
    with pytest.raises(ValueError, match="alpha"):
        RoleBaseline(1.5)
    with pytest.raises(ValueError, match="not one of"):
        RoleBaseline(0.9, roles=["spy"]).advantages([1.0], ["civ"])
    with pytest.raises(ValueError, match="roles="):
        RoleBaseline(0.9).advantages([1.0], ["spy"], gather=lambda xs: ([xs], 0))
    with pytest.raises(ValueError, match="not among"):
        RoleBaseline(0.9, roles=["spy"]).load_state_dict({"baselines": {"civ": 0.1}})


def test_spec_resolves_defaults_and_rejects_foreign_knobs() -> None:
    assert AdvantageSpec().std == "population" and AdvantageSpec().eps == 1e-6
    rae = AdvantageSpec(kind="role_ema")
    assert (rae.alpha, rae.init, rae.rae_update, rae.std) == (0.95, 0.0, "per_game", None)
    with pytest.raises(ValueError, match="alpha is not a knob"):
        AdvantageSpec(kind="zscore", alpha=0.9)
    with pytest.raises(ValueError, match="std is not a knob"):
        AdvantageSpec(kind="center", std="unbiased")
    with pytest.raises(ValueError, match="unknown"):
        AdvantageSpec(kind="gae")  # type: ignore[arg-type]


def test_compute_advantages_dispatch() -> None:
    rewards, groups = [1.0, 3.0, 2.0, 2.0], ["a", "a", "b", "b"]
    unbiased = AdvantageSpec(kind="zscore", std="unbiased", eps=1e-6)
    assert compute_advantages(unbiased, rewards, groups=groups) == group_zscore(
        rewards, groups, std="unbiased"
    )
    center = compute_advantages(AdvantageSpec(kind="center"), rewards, groups=groups)
    assert center == [-1.0, 1.0, 0.0, 0.0]
    assert compute_advantages(AdvantageSpec(kind="raw"), rewards) == rewards

    per_batch = AdvantageSpec(kind="role_ema", alpha=0.5, rae_update="per_batch")
    baseline = per_batch.new_baseline()
    roles = ["p", "p", "p", "p"]
    # One update with the batch mean 2: b = 1, advantages r - 1.
    out = compute_advantages(per_batch, rewards, groups=groups, roles=roles, baseline=baseline)
    assert out == [0.0, 2.0, 1.0, 1.0]

    per_game = AdvantageSpec(kind="role_ema", alpha=0.5)
    baseline = per_game.new_baseline()
    # Game a mean 2 -> b = 1; game b mean 2 -> b = 1.5.
    out = compute_advantages(per_game, rewards, groups=groups, roles=roles, baseline=baseline)
    assert out == [0.0, 2.0, 0.5, 0.5]
    with pytest.raises(ValueError, match="does not match"):
        compute_advantages(
            per_game, rewards, groups=groups, roles=roles, baseline=RoleBaseline(0.9)
        )
    with pytest.raises(ValueError, match="needs groups"):
        compute_advantages(AdvantageSpec(), rewards)
