"""The MM-Zero recipe: Proposer, CodeGen and Solver evolve from one VLM (see `recipe.py`)."""

from zeroplay.recipes.mm_zero.recipe import DEFAULT_PRESET, SHORTCUTS, Config, RunHooks, train

__all__ = ["DEFAULT_PRESET", "SHORTCUTS", "Config", "RunHooks", "train"]
