"""Game configuration defaults and validation."""

from __future__ import annotations

import pytest

from zeroplay.games.vision_zero.config import TurnSampling, VisionZeroGameConfig


def test_defaults_follow_the_issue() -> None:
    cfg = VisionZeroGameConfig()
    assert (cfg.n_players, cfg.n_civilians, cfg.n_rounds, cfg.group_size) == (4, 3, 2, 8)
    assert (cfg.decision_mode, cfg.decision_reward, cfg.domain) == ("observer", "paper", "clevr")
    assert (cfg.beta, cfg.lam, cfg.blank_spy) == (0.1, 0.1, False)


def test_turn_sampling_builds_engine_params() -> None:
    params = TurnSampling(max_new_tokens=100, temperature=0.7, top_p=0.9, top_k=20).params(
        8, seed=5
    )
    assert (params.n, params.max_new_tokens, params.temperature) == (8, 100, 0.7)
    assert (params.top_p, params.top_k, params.seed) == (0.9, 20, 5)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_players": 2},
        {"n_rounds": 0},
        {"group_size": 0},
        {"decision_mode": "everyone"},
        {"domain": "maps"},
        {"decision_reward": "other"},
        {"beta": -0.1},
    ],
)
def test_bad_game_config_is_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        VisionZeroGameConfig(**kwargs)  # type: ignore[arg-type]


def test_bad_sampling_is_rejected() -> None:
    with pytest.raises(ValueError, match="top_p"):
        TurnSampling(top_p=0.0)
