"""`zeroplay report`: one offline HTML page per run, with plots and game replays (docs/report.md).

Read in this order: `run_files` (what is read from a run directory), `build` (the page, section
by section), then the parts it uses: `summary`, `training_plots` and the recipe panels
(`vision_zero_panels`, `visplay_panels`, `mm_zero_panels`), `eval_tables`, and the replay
viewer (`replays` with `replay_vision_zero`, `replay_visplay`, `replay_mm_zero`).
"""
