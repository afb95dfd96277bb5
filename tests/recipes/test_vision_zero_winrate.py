"""Spy win-rate evaluation: the Wilson interval, mirrored matches, scoring, and the CLI on tiny."""

from __future__ import annotations

import json
import math

import pytest
from PIL import Image
from typer.testing import CliRunner

from zeroplay.cli.eval import app as eval_app
from zeroplay.data.pairs import load_pairs
from zeroplay.games.protocol import Context, run_scripted
from zeroplay.games.vision_zero import VisionZeroGameConfig, play_game
from zeroplay.recipes.vision_zero.data import GameStream
from zeroplay.recipes.vision_zero.winrate import (
    MODEL_A,
    MODEL_B,
    Tally,
    a_won,
    plan_matches,
    summarize,
    wilson_interval,
)

runner = CliRunner()


def test_wilson_interval_hand_computed():
    z = 1.959963984540054
    # 0 of 2: centre = (z^2/4) / (1 + z^2/2) = half-width, so the interval is [0, 2 * centre].
    centre = (z * z / 4) / (1 + z * z / 2)
    low, high = wilson_interval(0, 2)
    assert low == 0.0 and high == pytest.approx(2 * centre) and high == pytest.approx(0.65762, 1e-4)
    # 5 of 10: symmetric about 1/2, half-width z/(1+z^2/10) * sqrt(0.025 + z^2/400).
    half = z / (1 + z * z / 10) * math.sqrt(0.025 + z * z / 400)
    assert wilson_interval(5, 10) == pytest.approx((0.5 - half, 0.5 + half))
    assert wilson_interval(5, 10) == pytest.approx((0.23659, 0.76341), abs=1e-5)
    low, high = wilson_interval(10, 10)
    assert high == 1.0 and low == pytest.approx(0.72246, abs=1e-5)
    with pytest.raises(ValueError):
        wilson_interval(3, 2)
    with pytest.raises(ValueError):
        wilson_interval(0, 0)


def test_tally_overall():
    tally = Tally(games=4, wins=3)
    assert tally.rate == 0.75 and tally.to_json()["ci95"] == list(wilson_interval(3, 4))


def _pairs(folder, n=3):
    folder.mkdir()
    for i in range(n):
        Image.new("RGB", (48, 32), (40 * i, 0, 0)).save(folder / f"p{i}_original.png")
        Image.new("RGB", (48, 32), (0, 40 * i, 0)).save(folder / f"p{i}_modified.png")
    return load_pairs(folder, domain="clevr")


def _stream(tmp_path):
    cfg = VisionZeroGameConfig(n_players=4, group_size=3)
    return GameStream(_pairs(tmp_path / "pairs"), 0, lambda _d: cfg, 100, 5000)


def test_matches_are_mirrored_and_the_civilian_side_judges(tmp_path):
    stream = _stream(tmp_path)
    matches = plan_matches(stream, 6)
    assert [m.side for m in matches] == ["civilians", "spy"] * 3
    for civ, spy in zip(matches[::2], matches[1::2], strict=True):
        a, b = civ.game.setup, spy.game.setup
        assert civ.game.pair_id == spy.game.pair_id
        assert (a.spy_seat, a.seed) == (b.spy_seat, b.seed)
        assert a.policy_of(a.spy_seat) == MODEL_B and a.judge_policy == MODEL_A
        assert b.policy_of(b.spy_seat) == MODEL_A and b.judge_policy == MODEL_B
        others = [s for s in range(1, 5) if s != a.spy_seat]
        assert {a.policy_of(s) for s in others} == {MODEL_A}
        assert {b.policy_of(s) for s in others} == {MODEL_B}
    with pytest.raises(ValueError, match="even"):
        plan_matches(stream, 5)


def _play(matches, vote_for_spy_when_judge: str):
    """Scripted players: the judge named `vote_for_spy_when_judge` finds the spy, the other
    names player 1 or abstains."""
    results = []
    for match in matches:
        setup = match.game.setup

        def player(request, _index, setup=setup):
            if request.meta["stage"] == "clue":
                return "I see. \\boxed{a red cube}"
            if request.policy == vote_for_spy_when_judge:
                return f"\\boxed{{{setup.spy_seat}}}"
            return "\\boxed{N/A}"

        results.append(run_scripted(play_game(Context(), setup, match.game.config), player))
    return results


def test_a_judge_that_finds_the_spy_wins_as_civilians_only(tmp_path):
    matches = plan_matches(_stream(tmp_path), 4)
    results = _play(matches, vote_for_spy_when_judge=MODEL_A)
    assert all(a_won(m.side, r) for m, r in zip(matches, results, strict=True))
    report = summarize(matches, results)
    # A as civilians: A judges and finds the spy (2/2). A as spy: B judges and abstains, so
    # nobody is identified and A, the spy, wins (2/2).
    assert (report.as_civilians.wins, report.as_spy.wins, report.overall.wins) == (2, 2, 4)
    results = _play(matches, vote_for_spy_when_judge=MODEL_B)
    report = summarize(matches, results)
    assert (report.as_civilians.wins, report.as_spy.wins) == (0, 0)
    assert report.to_json()["overall"] == {
        "games": 4,
        "wins": 0,
        "rate": 0.0,
        "ci95": list(wilson_interval(0, 4)),
    }


@pytest.mark.slow
def test_cli_on_tiny_models(tmp_path):
    from zeroplay.data.charts.pairs import ChartPairConfig, ChartPairMaker
    from zeroplay.data.runner import generate_pairs

    generate_pairs(ChartPairMaker(ChartPairConfig(width=160, height=120)), tmp_path / "data", 2)
    args = ["spy-winrate", "--model", "tiny", "--against", "tiny-llava", "--games", "4"]
    args += ["--data", str(tmp_path / "data"), "--group-size", "2", "--max-new-tokens", "8"]
    args += ["--max-pixels", "19200", "--out", str(tmp_path / "out")]
    result = runner.invoke(eval_app, args)
    assert result.exit_code == 0, result.output
    assert "civilians" in result.output and "95% CI" in result.output
    document = json.loads((tmp_path / "out" / "winrate.json").read_text())
    assert document["as_civilians"]["games"] == document["as_spy"]["games"] == 2
    assert document["overall"]["games"] == 4
    games = [
        json.loads(line) for line in (tmp_path / "out" / "games.jsonl").read_text().splitlines()
    ]
    assert [g["a_side"] for g in games] == ["civilians", "spy", "civilians", "spy"]
    policies = {turn["policy"] for g in games for turn in g["clue_turns"]}
    assert policies == {"A", "B"}


def test_cli_rejects_an_odd_number_of_games():
    result = runner.invoke(
        eval_app, ["spy-winrate", "--model", "tiny", "--against", "tiny", "--games", "5"]
    )
    assert result.exit_code == 2 and "even" in result.output
