"""`zeroplay train` start-up: one-line errors, nothing written by a failed start, help text."""

from __future__ import annotations

import os
import stat

import pytest
from typer.testing import CliRunner

from zeroplay.cli.main import app
from zeroplay.cli.train import DEFAULT_PRESETS, MAIN_SWITCHES, RECIPES
from zeroplay.recipes.config_io import ConfigError, preset_names
from zeroplay.recipes.vision_zero import Config as VisionZeroConfig
from zeroplay.runtime.start import check_before_start, prepare_run_dir

runner = CliRunner()


def _fails_in_one_line(result, *needles: str) -> None:
    """Exit code 2, a single `error:` line naming `needles`, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)


def _train(*args: str):
    return runner.invoke(
        app, ["train", "vision-zero", "--preset", "tiny", "schedule.steps=1", *args]
    )


def test_missing_model_folder_fails_in_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    _fails_in_one_line(_train("--model", str(tmp_path / "no-model"), "--out", str(out)), "exist")
    assert not out.exists()  # no config.yaml and no generated pairs to trip the corrected rerun


def test_uncached_hub_model_offline_fails_before_generating_data(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "run"
    result = _train("--model", "nobody/no-such-model", "--out", str(out))
    _fails_in_one_line(result, "nobody/no-such-model", "HF_HUB_OFFLINE")
    assert not out.exists()


def test_data_folder_without_a_readable_pair_fails_in_one_line(tmp_path):
    data = tmp_path / "pairs"
    data.mkdir()
    for name in ("a_original.png", "a_modified.png"):
        (data / name).write_bytes(b"not a png")
    out = tmp_path / "run"
    _fails_in_one_line(_train("--data", str(data), "--out", str(out)), "can be read")
    assert not out.exists()


def test_tiny_preset_refuses_a_data_folder_that_does_not_exist(tmp_path):
    out = tmp_path / "run"
    result = _train("--data", str(tmp_path / "nowhere"), "--out", str(out))
    _fails_in_one_line(result, "nowhere", "does not exist")
    assert not out.exists()  # it generated charts instead before


def test_out_that_is_a_file_fails_in_one_line(tmp_path):
    target = tmp_path / "file"
    target.write_text("mine")
    _fails_in_one_line(_train("--out", str(target)), "is a file")
    _fails_in_one_line(_train("--out", str(target / "run")), "which is a file")
    assert target.read_text() == "mine"


def test_out_that_cannot_be_written_fails_in_one_line(tmp_path):
    if os.geteuid() == 0:
        # root writes through permission bits; /proc refuses new folders to everyone.
        _fails_in_one_line(_train("--out", "/proc/zeroplay-run/x"), "cannot write")
        return
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        _fails_in_one_line(_train("--out", str(locked / "run")), "read-only")
    finally:
        locked.chmod(stat.S_IRWXU)


def test_resume_with_another_config_names_the_differing_keys(tmp_path):
    before = VisionZeroConfig()
    prepare_run_dir(tmp_path, before)
    after = VisionZeroConfig.model_validate(
        {"run": {"seed": 5}, "schedule": {"steps": before.schedule.steps + 1}}
    )
    with pytest.raises(ConfigError) as error:
        check_before_start(tmp_path, after, "tiny")
    message = str(error.value)
    assert "run.seed (0 there, 5 now)" in message and "schedule.steps" in message
    assert "model.name" not in message
    check_before_start(tmp_path, before, "tiny")  # the same config resumes


def test_cross_field_config_error_names_the_fields_not_the_whole_section(tmp_path):
    result = _train("data.min_pixels=99999999", "--out", str(tmp_path / "run"))
    _fails_in_one_line(result, "min_pixels (99999999) exceeds max_pixels")
    assert "'generate'" not in result.output and "Value error" not in result.output


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_recipe_help_lists_presets_and_main_switches(recipe):
    result = runner.invoke(app, ["train", recipe, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for name in preset_names(recipe):
        assert any(line.split()[:1] == [name] and len(line.split()) > 2 for line in lines), name
    for key in MAIN_SWITCHES[recipe]:
        assert key in result.output


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_main_switches_and_default_preset_exist(recipe):
    import importlib

    module = importlib.import_module(RECIPES[recipe])
    assert DEFAULT_PRESETS[recipe] == module.DEFAULT_PRESET
    values = module.Config().model_dump(mode="json")
    for key in MAIN_SWITCHES[recipe]:
        node = values
        for part in key.split("."):
            assert isinstance(node, dict) and part in node, (recipe, key)
            node = node[part]
