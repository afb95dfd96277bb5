"""A partial config section keeps the recipe's defaults for the keys it does not name."""

from __future__ import annotations

import importlib.util

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


@pytest.mark.parametrize("recipe", ["vision_zero", "visplay", "mm_zero"])
def test_every_recipe_picks_its_engine_backend(recipe):
    import importlib

    module = importlib.import_module(f"zeroplay.recipes.{recipe}")
    assert module.Config().engine.backend == "hf"
    assert module.Config().engine.vllm_settings() is None
    config = validate(module.Config, {"engine": {"backend": "vllm", "cpu_kv_cache_gib": 0.5}})
    settings = config.engine.vllm_settings()
    assert settings is not None and settings.cpu_kv_cache_gib == 0.5
    with pytest.raises(ConfigError, match=r"engine\.backend"):
        validate(module.Config, {"engine": {"backend": "sglang"}})


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here")
def test_vllm_backend_without_vllm_is_a_one_line_error(tmp_path):
    from typer.testing import CliRunner

    from zeroplay.cli.train import app

    args = ["vision-zero", "--preset", "tiny", "--out", str(tmp_path / "run")]
    args += ["engine.backend=vllm"]
    args += ["schedule.steps=1", "schedule.games_per_step=1", "data.generate.pairs=1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "scripts/vllm-cpu-env" in result.output and "Traceback" not in result.output
