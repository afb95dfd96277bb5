"""docs/rl_math.md's per-recipe loss table agrees with every preset's resolved config."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from zeroplay.recipes.config_io import preset_names, read_preset, validate

DOC = Path(__file__).resolve().parents[2] / "docs" / "rl_math.md"
RECIPES = {
    "Vision-Zero": ("vision-zero", "zeroplay.recipes.vision_zero"),
    "VisPlay": ("visplay", "zeroplay.recipes.visplay"),
    "MM-Zero": ("mm-zero", "zeroplay.recipes.mm_zero"),
}


def _documented_aggregation(name: str) -> str:
    """The aggregation column of the recipe's row in the preset table."""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and cells[0] == name and len(cells) >= 5:
            return cells[4].strip("`")
    raise AssertionError(f"no row for {name} in {DOC}")


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_documented_aggregation_matches_every_preset(name):
    recipe, module_name = RECIPES[name]
    module = importlib.import_module(module_name)
    documented = _documented_aggregation(name)
    assert module.Config().trainer.loss.aggregation == documented
    for preset in preset_names(recipe):
        config = validate(module.Config, read_preset(recipe, preset))
        assert config.trainer.loss.aggregation == documented, (recipe, preset)
