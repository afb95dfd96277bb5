"""The recipe runtime: what every recipe does around its loop, written once.

`start` opens a run (accelerator, run directory and config, seeds, policies, trainer), `phases`
runs named phases with completion markers and exact resume from phase checkpoints, `engines`
counts and routes a step's generation, `progress` draws the bar. Recipes state their phases and
call these; the layer sits between `rl/` (which it imports) and `recipes/` (which import it).
"""
