"""`zeroplay train RECIPE`: run a self-play recipe; running the same command again resumes."""

from __future__ import annotations

import importlib
from pathlib import Path

import typer

from zeroplay.cli.common import console, fail, quiet_libraries
from zeroplay.cli.toy_model import ensure_model

# recipe name -> module with Config, DEFAULT_PRESET, SHORTCUTS and train(config, out)
RECIPES = {
    "vision-zero": "zeroplay.recipes.vision_zero",
    "visplay": "zeroplay.recipes.visplay",
    "mm-zero": "zeroplay.recipes.mm_zero",
    "sft": "zeroplay.recipes.sft",
}

# Each recipe module's DEFAULT_PRESET, repeated here so --help stays fast (a test keeps them equal).
DEFAULT_PRESETS = {"vision-zero": "toy", "visplay": "tiny", "mm-zero": "tiny", "sft": "default"}

# The switches most runs change first, per recipe (shown by `zeroplay train RECIPE --help`).
MAIN_SWITCHES = {
    "vision-zero": {
        "schedule.steps": "optimizer steps (one round of games each)",
        "schedule.games_per_step": "games per step over all processes",
        "model.mode": "shared | lora | separate: how the policy is held",
        "game.n_players": "players per game (civilians + spy)",
        "game.decision_reward": "paper or code vote reward",
        "controller.mode": "Iterative-SPO stage switching (adaptive, fixed cycle, ...)",
        "trainer.optim.lr": "learning rate",
    },
    "visplay": {
        "schedule.iterations": "Questioner -> label -> Reasoner iterations",
        "schedule.questioner_steps": "Questioner steps per iteration",
        "schedule.reasoner_steps": "Reasoner steps per iteration",
        "game.reward_variant": "paper or code Questioner reward",
        "game.non_answers": "counted | excluded: how unanswered replies enter the confidence",
        "game.validate_type": "true: refuse questions whose type is none of the three classes",
        "data.generate_charts": "charts to draw when no --data is given",
        "trainer.optim.lr": "learning rate",
    },
    "mm-zero": {
        "iterations": "Proposer -> CodeGen -> Solver iterations",
        "proposer.steps": "Proposer steps per iteration (codegen.steps, solver.steps alike)",
        "render.backend": "resvg | cairosvg (SVG renderer)",
        "render.max_side_px": "canvas cap in px; larger SVGs are scaled down",
        "render.oversize": "scale | refuse: SVG sides above max_side_px",
        "solver.max_prompt_tokens": "drop Solver training prompts longer than this (0: no cap)",
        "model.mode": "lora | shared | separate: how the three roles are held",
        "trainer.optim.lr": "learning rate",
    },
    "sft": {
        "model.mode": "shared (full weights) | lora (one adapter)",
        "train.optim.lr": "learning rate",
        "train.epochs": "passes over the data (fractions allowed)",
        "train.batch_size": "records per optimizer step over all processes",
        "train.micro_batch_size": "records per forward/backward pass",
        "train.micro_batch_tokens": "also cap a pass at this many padded tokens (null: no cap)",
        "data.max_length": "refuse records longer than this many tokens",
    },
}


def recipe_epilog(recipe: str) -> str:
    """The presets of `recipe` (one line each) and its main switches, for --help."""
    from zeroplay.recipes.config_io import preset_names, preset_summary

    names = preset_names(recipe)
    switches = MAIN_SWITCHES[recipe]
    width = max(map(len, names))
    lines = [f"Presets (--preset NAME, default {DEFAULT_PRESETS[recipe]}):"]
    lines += [f"  {name:<{width}}  {preset_summary(recipe, name, 72)}" for name in names]
    width = max(map(len, switches))
    lines.append("Main switches (key=value; every key is in RUN_DIR/config.yaml):")
    lines += [f"  {key:<{width}}  {text}" for key, text in switches.items()]
    return "\n\n".join(lines)  # typer joins single newlines; blank lines keep one per line


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
    from zeroplay.models.loader import ModelNotFoundError
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
    ensure_model(config.model.name)
    from zeroplay.engines.vllm import VLLMSetupError

    try:
        run_dir = module.train(config, target)
    except (ConfigError, ModelNotFoundError, VLLMSetupError) as exc:
        fail(str(exc))
    console.print(f"[green]done[/]: {getattr(run_dir, 'root', run_dir)}")


def _command(recipe: str):
    def command(
        overrides: list[str] = typer.Argument(None, help="key=value overrides (dotted keys)."),
        preset: str | None = typer.Option(None, "--preset", "-p", help="A shipped preset."),
        config: Path | None = typer.Option(None, "--config", "-c", help="A YAML config file."),
        model: str | None = typer.Option(
            None, "--model", "-m", help="Model folder, Hub id, 'tiny' or 'toy'."
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
    (
        "sft",
        "Supervised fine-tuning on chat records (--data FILE.jsonl): loss on assistant tokens "
        "only; the cold start before RL.",
    ),
):
    app.command(_name, help=_help, epilog=recipe_epilog(_name))(_command(_name))
