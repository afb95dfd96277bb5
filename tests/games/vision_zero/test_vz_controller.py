"""Iterative-SPO controller transitions against hand-computed values (paper Alg. 1, note §4)."""

from __future__ import annotations

import json

import pytest

from zeroplay.games.vision_zero.controller import (
    ControllerConfig,
    StageController,
    alternate_stage,
)
from zeroplay.games.vision_zero.stats import DecisionStats


def stats(acc: float, na: float = 0.0, games: int = 100, votes: int = 800) -> DecisionStats:
    """Decision statistics with the given accuracy and abstention rate."""
    return DecisionStats(
        games=games, identified=round(acc * games), votes=votes, abstained=round(na * votes)
    )


def run(
    controller: StageController, sequence: list[DecisionStats], first_step: int = 0
) -> list[str]:
    """The stage returned after each iteration."""
    return [controller.update(s, step) for step, s in enumerate(sequence, start=first_step)]


def test_bias_corrected_averages() -> None:
    c = StageController()
    c.update(stats(0.5, na=0.25), step=0)
    # ema = 0.05 * 0.5, divided by (1 - 0.95): the first measurement itself.
    assert c.accuracy_average == pytest.approx(0.5)
    assert c.abstention_average == pytest.approx(0.25)
    c.update(stats(1.0), step=1)
    # ema = 0.95 * 0.025 + 0.05 * 1 = 0.07375; 1 - 0.95^2 = 0.0975.
    assert c.accuracy_average == pytest.approx(0.07375 / 0.0975)
    assert c.accuracy_average == pytest.approx(0.756410, abs=1e-6)


def test_paper_mode_starts_in_decision_and_leaves_after_min_dwell() -> None:
    c = StageController()
    assert c.stage == "decision"
    assert c.trains("decision") and not c.trains("clue")
    stages = run(c, [stats(1.0)] * 5)
    assert stages == ["decision"] * 4 + ["clue"]  # K_min = 5 iterations in the stage
    assert c.dwell == 0
    # Perfect accuracy never triggers clue -> decision; patience P = 20 forces it.
    stages = run(c, [stats(1.0)] * 20, first_step=5)
    assert stages == ["clue"] * 19 + ["decision"]


def test_clue_to_decision_when_error_grows_after_min_dwell() -> None:
    c = StageController()
    run(c, [stats(1.0)] * 5)
    assert c.stage == "clue"
    # Accuracy drops to 0. After k = 8 updates the average is 0.95^3 (1 - 0.95^5) / (1 - 0.95^8)
    # = 0.5763, error 0.42 >= 0.4, but only 3 iterations in the clue stage: no switch yet.
    stages = run(c, [stats(0.0)] * 3, first_step=5)
    assert stages == ["clue"] * 3
    assert c.accuracy_average == pytest.approx(0.95**3 * (1 - 0.95**5) / (1 - 0.95**8))
    assert c.accuracy_average == pytest.approx(0.5763, abs=1e-4)
    stages = run(c, [stats(0.0)] * 2, first_step=8)
    assert stages == ["clue", "decision"]
    # At the switch (k = 10): 0.95^5 (1 - 0.95^5) / (1 - 0.95^10) = 0.4362, error 0.5638.
    assert c.accuracy_average == pytest.approx(0.4362, abs=1e-4)


def test_clue_to_decision_when_abstentions_grow() -> None:
    c = StageController(ControllerConfig(rho=0.0))  # rho 0: the average is the last value
    run(c, [stats(1.0)] * 5)
    assert c.stage == "clue"
    stages = run(c, [stats(1.0, na=0.49)] * 5 + [stats(1.0, na=0.5)], first_step=5)
    assert stages == ["clue"] * 5 + ["decision"]


def test_decision_stays_while_abstaining_until_patience() -> None:
    c = StageController(ControllerConfig(rho=0.0))
    # Accuracy 1 but n/a 0.2 > 0.1: the thresholds never fire; P = 20 forces the clue stage.
    assert run(c, [stats(1.0, na=0.2)] * 20) == ["decision"] * 19 + ["clue"]
    never = StageController(ControllerConfig(rho=0.0, patience=None))
    assert set(run(never, [stats(1.0, na=0.2)] * 40)) == {"decision"}


def test_cold_start_without_bias_correction_needs_45_iterations() -> None:
    # 1 - 0.95^44 = 0.8953 < 0.9 <= 1 - 0.95^45 = 0.9006 (note §4.1).
    c = StageController(ControllerConfig(bias_correction=False, patience=None))
    stages = run(c, [stats(1.0)] * 45)
    assert stages == ["decision"] * 44 + ["clue"]


def test_iteration_without_games_keeps_the_averages() -> None:
    c = StageController()
    c.update(stats(0.8), step=0)
    c.update(DecisionStats(), step=1)
    assert c.accuracy_average == pytest.approx(0.8)
    assert c.dwell == 2


@pytest.mark.parametrize(
    ("cycle_length", "expected"),
    [
        (1, ["decision", "clue", "decision", "clue", "decision", "clue"]),
        (2, ["decision", "decision", "clue", "clue", "decision", "decision"]),
    ],
)
def test_alternate_mode_follows_the_optimizer_step(cycle_length: int, expected: list[str]) -> None:
    assert [alternate_stage(step, cycle_length) for step in range(6)] == expected
    c = StageController(ControllerConfig(mode="alternate", cycle_length=cycle_length))
    assert c.stage == expected[0]
    # The stage returned after step s is the stage of step s + 1, whatever the statistics.
    assert run(c, [stats(0.0)] * 5) == expected[1:]


@pytest.mark.parametrize("mode", ["clue", "decision", "both"])
def test_fixed_modes_never_switch(mode: str) -> None:
    c = StageController(ControllerConfig(mode=mode))  # type: ignore[arg-type]
    assert set(run(c, [stats(1.0)] * 30 + [stats(0.0, na=1.0)] * 30)) == {mode}
    assert c.trains("clue") == (mode in ("clue", "both"))
    assert c.trains("decision") == (mode in ("decision", "both"))


def test_state_round_trips_through_json_and_resumes_identically() -> None:
    sequence = [stats(1.0)] * 7 + [stats(0.1, na=0.3)] * 9
    reference = StageController()
    expected = run(reference, sequence)

    first = StageController()
    run(first, sequence[:10])
    state = json.loads(json.dumps(first.state_dict()))
    resumed = StageController()
    resumed.load_state_dict(state)
    assert resumed.metrics() == first.metrics()
    assert run(resumed, sequence[10:], first_step=10) == expected[10:]


def test_load_rejects_a_different_mode() -> None:
    state = StageController().state_dict()
    with pytest.raises(ValueError, match="mode"):
        StageController(ControllerConfig(mode="alternate")).load_state_dict(state)


def test_metrics() -> None:
    c = StageController(ControllerConfig(mode="both"))
    c.update(stats(0.5, na=0.25), step=0)
    assert c.metrics() == {
        "spo/clue_active": 1.0,
        "spo/decision_active": 1.0,
        "spo/dwell": 1.0,
        "spo/accuracy_average": pytest.approx(0.5),
        "spo/abstention_average": pytest.approx(0.25),
        "spo/switches": 0.0,
    }


@pytest.mark.parametrize(
    "kwargs",
    [{"mode": "sometimes"}, {"rho": 1.0}, {"min_dwell": 0}, {"patience": 3}, {"cycle_length": 0}],
)
def test_config_rejects_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ControllerConfig(**kwargs)  # type: ignore[arg-type]
