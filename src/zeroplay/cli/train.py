"""`zeroplay train RECIPE`: run a self-play recipe; running the same command again resumes."""

from __future__ import annotations

import importlib
from pathlib import Path

import typer

from zeroplay.cli.common import console, fail, quiet_libraries

# recipe name -> module with Config, DEFAULT_PRESET, SHORTCUTS and train(config, out)
RECIPES = {
    "vision-zero": "zeroplay.recipes.vision_zero",
    "visplay": "zeroplay.recipes.visplay",
    "mm-zero": "zeroplay.recipes.mm_zero",
}

app = typer.Typer(
    help=(
        "Train with a self-play recipe. Settings come from a preset (--preset, see "
        "configs under zeroplay/configs/RECIPE/), a YAML file (--config), then key=value "
        "overrides with dotted keys, e.g. trainer.optim.lr=1e-5. Re-running the same command "
        "with the same --out resumes from the last checkpoint or finished phase."
    ),
    no_args_is_help=True,
)


def run_recipe(
    recipe: str,
    preset: str | None,
    config_file: Path | None,
    model: str | None,
    data: Path | None,
    out: Path | None,
    overrides: list[str],
) -> None:
    """Resolve the config of `recipe` and train (shared by the per-recipe commands)."""
    from zeroplay.recipes.common import default_out
    from zeroplay.recipes.config_io import (
        ConfigError,
        deep_merge,
        parse_overrides,
        read_preset,
        read_yaml_file,
        validate,
    )

    quiet_libraries()
    module = importlib.import_module(RECIPES[recipe])
    try:
        if preset and config_file:
            raise ConfigError("pass either --preset or --config, not both")
        name = preset or (None if config_file else module.DEFAULT_PRESET)
        data_map = read_preset(recipe, name) if name else read_yaml_file(config_file)
        shortcuts = {}
        if model is not None:
            shortcuts["model.name"] = model
        if data is not None:
            if "data" not in module.SHORTCUTS:
                raise ConfigError(f"{recipe} reads no input data (--data does not apply)")
            shortcuts[module.SHORTCUTS["data"]] = str(data)
        data_map = deep_merge(data_map, parse_overrides([f"{k}={v}" for k, v in shortcuts.items()]))
        data_map = deep_merge(data_map, parse_overrides(overrides))
        config = validate(module.Config, data_map)
    except ConfigError as exc:
        fail(str(exc))
    target = out or default_out(recipe, name or Path(config_file).stem)
    from zeroplay.engines.vllm import VLLMSetupError

    try:
        run_dir = module.train(config, target)
    except (ConfigError, VLLMSetupError) as exc:
        fail(str(exc))
    console.print(f"[green]done[/]: {getattr(run_dir, 'root', run_dir)}")


def _command(recipe: str):
    def command(
        overrides: list[str] = typer.Argument(None, help="key=value overrides (dotted keys)."),
        preset: str | None = typer.Option(None, "--preset", "-p", help="A shipped preset."),
        config: Path | None = typer.Option(None, "--config", "-c", help="A YAML config file."),
        model: str | None = typer.Option(
            None, "--model", "-m", help="Model folder, Hub id or 'tiny'."
        ),
        data: Path | None = typer.Option(None, "--data", "-d", help="Input data folder."),
        out: Path | None = typer.Option(
            None, "--out", "-o", help="Run directory (default runs/RECIPE-PRESET)."
        ),
    ) -> None:
        run_recipe(recipe, preset, config, model, data, out, list(overrides or []))

    return command


for _name, _help in (
    (
        "vision-zero",
        "Vision-Zero: 'Who is the spy?' on image pairs, zero-sum clue rewards, Iterative-SPO.",
    ),
    (
        "visplay",
        "VisPlay: an image-conditioned Questioner and a Reasoner trained on silver answers.",
    ),
    ("mm-zero", "MM-Zero: Proposer -> SVG CodeGen -> Solver, with no input images."),
):
    app.command(_name, help=_help)(_command(_name))
