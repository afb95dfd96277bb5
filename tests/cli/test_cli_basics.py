"""End-to-end CLI checks for `--help`, `--version`, `models tiny` and `generate`."""

from __future__ import annotations

import hashlib

from PIL import Image
from typer.testing import CliRunner

from zeroplay import __version__
from zeroplay.cli.main import app

runner = CliRunner()


def test_help_and_version():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "generate" in result.output and "models" in result.output
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_models_tiny_out(tmp_path):
    out = tmp_path / "tiny"
    result = runner.invoke(app, ["models", "tiny", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "config.json").exists() and (out / "model.safetensors").exists()
    again = runner.invoke(app, ["models", "tiny", "--out", str(out)])
    assert again.exit_code == 2 and "not empty" in again.output


def test_models_tiny_unknown_arch():
    result = runner.invoke(app, ["models", "tiny", "--arch", "huge"])
    assert result.exit_code == 2 and "unknown tiny model" in result.output


def test_generate_prints_completions(tmp_path):
    image = tmp_path / "red.png"
    Image.new("RGB", (64, 48), "red").save(image)
    args = ["generate", "--model", "tiny", "--image", str(image), "--prompt", "Colour?"]
    args += ["-n", "2", "--max-new-tokens", "6", "--seed", "3"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert first.output.count("completion ") == 2
    second = runner.invoke(app, args)
    digest = lambda s: hashlib.sha256(s.encode()).hexdigest()  # noqa: E731
    assert digest(first.output) == digest(second.output), "same seed, same output"


def test_generate_missing_image(tmp_path):
    result = runner.invoke(app, ["generate", "--image", str(tmp_path / "no.png"), "-p", "x"])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_generate_unreadable_image(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nthis is not really a png")
    result = runner.invoke(app, ["generate", "--image", str(bad), "-p", "x"])
    assert result.exit_code == 2
    assert "cannot read image" in result.output


def test_generate_unknown_model(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = runner.invoke(app, ["generate", "--model", "nobody/no-such-model", "-p", "x"])
    assert result.exit_code == 2
    assert "nobody/no-such-model" in result.output and "tiny" in result.output
    assert len(result.output.strip().splitlines()) <= 3
