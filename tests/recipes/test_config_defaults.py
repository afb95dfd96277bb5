"""A partial config section keeps the recipe's defaults for the keys it does not name."""

from __future__ import annotations

import pytest

from zeroplay.recipes.config_io import ConfigError, validate


@pytest.mark.parametrize("recipe", ["vision_zero", "visplay", "mm_zero"])
def test_partial_trainer_section_keeps_recipe_loss(recipe):
    import importlib

    module = importlib.import_module(f"zeroplay.recipes.{recipe}")
    default = module.Config()
    config = validate(module.Config, {"trainer": {"optim": {"lr": 3e-5}}})
    trainer = config.trainer if hasattr(config, "trainer") else None
    assert trainer is not None
    assert trainer.optim.lr == 3e-5
    assert trainer.loss == default.trainer.loss  # e.g. the KL coefficient is not reset to 0


def test_unknown_key_names_valid_choices():
    from zeroplay.recipes.vision_zero import Config

    with pytest.raises(ConfigError, match=r"unknown key 'trainer\.optim\.learning_rate'.*lr"):
        validate(Config, {"trainer": {"optim": {"learning_rate": 1}}})


def test_changing_an_estimator_kind_drops_the_old_kinds_knobs():
    from zeroplay.recipes.vision_zero import Config

    config = validate(Config, {"advantages": {"clue": {"kind": "zscore"}}})
    assert config.advantages.clue.kind == "zscore"
    assert config.advantages.clue.build().alpha is None
