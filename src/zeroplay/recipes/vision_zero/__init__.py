"""The Vision-Zero recipe: "Who is the spy?" self-play with Iterative-SPO (see `recipe.py`)."""

from zeroplay.recipes.vision_zero.recipe import (
    DEFAULT_PRESET,
    SHORTCUTS,
    Config,
    VisionZeroRun,
    train,
)

__all__ = ["DEFAULT_PRESET", "SHORTCUTS", "Config", "VisionZeroRun", "train"]
