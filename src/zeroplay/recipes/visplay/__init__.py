"""The VisPlay recipe: a Questioner and a Reasoner improve each other (see `recipe.py`)."""

from zeroplay.recipes.visplay.recipe import DEFAULT_PRESET, SHORTCUTS, Config, train

__all__ = ["DEFAULT_PRESET", "SHORTCUTS", "Config", "train"]
