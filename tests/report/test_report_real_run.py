"""The report of a real (very small) Vision-Zero training run on the embedded tiny model: the
keys and files the recipe really writes must feed every panel and the replay viewer."""

from __future__ import annotations

import importlib.util
import re

import pytest

from zeroplay.report.build import build_report

pytestmark = pytest.mark.slow

# Smaller than the tiny preset: 2 steps of 2 games, 3 players, 1 round, 2 votes, 8 tokens.
SMALL = {
    "data": {"generate": {"pairs": 2}},
    "game": {
        "n_players": 3,
        "n_rounds": 1,
        "group_size": 2,
        "clue_sampling": {"max_new_tokens": 8},
        "decision_sampling": {"max_new_tokens": 8},
    },
    "controller": {"min_dwell": 1, "patience": 1},
    "schedule": {"steps": 2, "games_per_step": 2},
}


@pytest.mark.skipif(
    importlib.util.find_spec("zeroplay.recipes.vision_zero") is None,
    reason="the vision-zero recipe is not available yet",
)
def test_report_of_a_real_vision_zero_run(tmp_path):
    from zeroplay.recipes import vision_zero
    from zeroplay.recipes.config_io import deep_merge, read_preset, validate

    config = validate(vision_zero.Config, deep_merge(read_preset("vision-zero", "tiny"), SMALL))
    run = vision_zero.train(config, tmp_path / "run")
    result = build_report(run.root, episodes=2)

    assert result.recipe == "vision-zero"
    assert result.problems == []
    names = {p.stem for p in result.plot_paths}
    for panel in (
        "training_reward_by_role",
        "training_kl",
        "training_entropy",
        "training_clip_fractions",
        "vision_zero_decision_rates",
        "vision_zero_stage_timeline",
        "vision_zero_role_baselines",
        "vision_zero_game_rewards",
    ):
        assert panel in names, panel
    html = result.html_path.read_text(encoding="utf-8")
    episodes = re.findall(r'<article class="episode" data-group="vz_game".*?</article>', html, re.S)
    assert len(episodes) == 2
    for episode in episodes:  # both pictures of the game's pair, found through its pair_id
        assert episode.count('class="thumb"') == 2
        assert "Clues" in episode and "Votes" in episode
    assert "optimizer steps</th><td>2<" in html
