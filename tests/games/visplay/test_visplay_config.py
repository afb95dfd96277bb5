"""VisPlayGameConfig: paper defaults, the code preset, validation, sampling settings."""

from __future__ import annotations

import dataclasses

import pytest

from zeroplay.games.visplay import RoleSampling, VisPlayGameConfig


def test_defaults_follow_the_paper() -> None:
    cfg = VisPlayGameConfig()
    assert cfg.reward_variant == "paper"
    assert cfg.diversity_scope == "image"
    assert cfg.reasoner_reward_variant == "paper"
    assert (cfg.confidence_low, cfg.confidence_high) == (0.25, 0.75)
    assert (cfg.questioner_group_size, cfg.reward_samples, cfg.label_samples) == (8, 10, 9)
    assert (cfg.questions_per_image, cfg.reasoner_group_size) == (8, 8)
    assert cfg.bleu_distance_threshold == 0.5
    assert cfg.prompt_style == "consistent"
    assert cfg.drop_non_answers and not cfg.no_merge_rule and cfg.non_answers == "counted"
    assert not cfg.validate_type  # neither the paper nor the code checks the type
    assert VisPlayGameConfig.paper() == cfg


def test_code_preset() -> None:
    cfg = VisPlayGameConfig.code()
    assert cfg.reward_variant == "code"
    assert cfg.diversity_scope == "batch"
    assert cfg.reasoner_reward_variant == "code"
    assert (cfg.confidence_low, cfg.confidence_high) == (0.3, 0.8)
    assert cfg.prompt_style == "code"
    assert not cfg.drop_non_answers and cfg.no_merge_rule and not cfg.validate_type
    assert cfg.grade_timeout_s == 10.0
    assert VisPlayGameConfig.code(diversity_scope="image").diversity_scope == "image"


def test_sampling_defaults_per_use() -> None:
    cfg = VisPlayGameConfig()
    train = cfg.questioner_train_sampling.params(8)
    assert (train.n, train.temperature, train.top_p, train.max_new_tokens) == (8, 1.0, 0.99, 2048)
    gen = cfg.questioner_generate_sampling.params(8)
    assert (gen.top_p, gen.max_new_tokens) == (0.95, 4096)
    reward = cfg.reasoner_reward_sampling.params(10)
    assert (reward.n, reward.top_p, reward.top_k, reward.max_new_tokens) == (10, 1.0, 40, 4096)
    assert cfg.reasoner_label_sampling == cfg.reasoner_reward_sampling
    assert cfg.reasoner_train_sampling == RoleSampling(top_p=0.99, max_new_tokens=4096)


def test_frozen_and_with() -> None:
    cfg = VisPlayGameConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.reward_variant = "code"  # type: ignore[misc]
    assert cfg.with_(label_samples=5).label_samples == 5


@pytest.mark.parametrize(
    "changes",
    [
        {"reward_variant": "ppo"},
        {"reasoner_reward_variant": "both"},
        {"diversity_scope": "global"},
        {"prompt_style": "paper"},
        {"questioner_group_size": 0},
        {"label_samples": 0},
        {"confidence_low": 0.8, "confidence_high": 0.3},
        {"confidence_high": 1.5},
        {"diversity_lambda": -1.0},
        {"bleu_distance_threshold": 0.0},
        {"grade_timeout_s": 0.0},
    ],
)
def test_rejects_bad_settings(changes: dict) -> None:
    with pytest.raises(ValueError):
        VisPlayGameConfig(**changes)
