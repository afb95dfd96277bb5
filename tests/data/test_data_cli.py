"""`zeroplay data ...` commands through typer's test runner."""

from __future__ import annotations

import json

import pytest
from data_helpers import requires_mitsuba
from PIL import Image
from typer.testing import CliRunner

from zeroplay.cli.data import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_charts_then_resume_then_show(tmp_path):
    out = tmp_path / "charts"
    first = run("charts", "--out", out, "--pairs", 2, "--workers", 1, "--seed", 3)
    assert first.exit_code == 0, first.output
    assert "made 2" in first.output
    again = run("charts", "--out", out, "--pairs", 2, "--workers", 1, "--seed", 3)
    assert again.exit_code == 0 and "already done 2" in again.output
    shown = run("show", out, "--count", 2)
    assert shown.exit_code == 0 and "2 pairs" in shown.output
    assert Image.open(out / "contact_sheet.png").width > 0


def test_resume_with_other_settings_is_one_clear_error(tmp_path):
    out = tmp_path / "charts"
    assert run("charts", "--out", out, "--pairs", 1, "--workers", 1).exit_code == 0
    result = run("charts", "--out", out, "--pairs", 1, "--workers", 1, "--seed", 9)
    assert result.exit_code == 2
    assert "seed" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ("charts", "--out", "X", "--edit", "bogus"),
        ("charts", "--out", "X", "--workers", "0"),
        ("clevr", "--out", "X", "--edit", "explode"),
        ("edits", "--images", "MISSING", "--out", "X"),
        ("import", "--out", "X"),
        ("import", "--out", "X", "--source", "A"),
        ("show", "MISSING"),
    ],
)
def test_bad_arguments_exit_nonzero(tmp_path, args):
    result = run(*[str(tmp_path / a) if a in ("X", "MISSING", "A") else a for a in args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_edits_command(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.effect_mandelbrot((96, 72), (-2, -1.5, 1, 1.5), 60).convert("RGB").save(photos / "a.png")
    (photos / "broken.png").write_bytes(b"\x89PNG nope")
    result = run("edits", "--images", photos, "--out", tmp_path / "out", "--workers", 1)
    assert result.exit_code == 0, result.output
    assert "1 skipped" in result.output and "made 1" in result.output
    assert json.loads((tmp_path / "out" / "000000_diff.json").read_text())["domain"] == "photo"


@requires_mitsuba
def test_clevr_command_tiny(tmp_path):
    out = tmp_path / "clevr"
    result = run(
        "clevr", "--out", out, "--pairs", 1, "--workers", 1, "--width", 64, "--height", 48,
        "--spp", 2, "--variant", "scalar_rgb", "--edit", "move",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads((out / "000000_diff.json").read_text())["edit"] == "move"
    assert Image.open(out / "000000_modified.png").size == (64, 48)


def test_toy_pairs_are_the_vision_zero_recipes_toy_pairs(tmp_path):
    """`zeroplay data toy` makes the pairs `data.generate.kind: toy` makes for the same seed
    (training seed space), without Mitsuba."""
    from zeroplay.recipes.vision_zero.config import GenerateSection
    from zeroplay.recipes.vision_zero.data import generate_pairs_into

    out = tmp_path / "toy"
    result = run("toy", "--out", out, "--pairs", 2, "--workers", 1, "--seed", 5)
    assert result.exit_code == 0, result.output
    assert "made 2" in result.output
    recipe = tmp_path / "recipe"
    generate_pairs_into(GenerateSection(kind="toy", pairs=2, width=168, height=126), recipe, 5)
    for name in ("000000_original.png", "000001_modified.png"):
        assert (out / name).read_bytes() == (recipe / name).read_bytes()
    assert run("toy", "--out", tmp_path / "x", "--width", 8).exit_code == 2
