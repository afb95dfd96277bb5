"""The `zeroplay` command: train, data, eval, report, proof, models, generate."""

from __future__ import annotations

import typer

from zeroplay import __version__
from zeroplay.cli import data as data_cmd
from zeroplay.cli import eval as eval_cmd
from zeroplay.cli import generate as generate_cmd
from zeroplay.cli import models as models_cmd
from zeroplay.cli import proof as proof_cmd
from zeroplay.cli import report as report_cmd
from zeroplay.cli import train as train_cmd
from zeroplay.runtime.heap import keep_freed_memory

app = typer.Typer(
    name="zeroplay",
    help=(
        "Label-free self-improvement of vision-language models through self-play "
        "(Vision-Zero, VisPlay, MM-Zero) on one GRPO core."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(train_cmd.app, name="train")
app.add_typer(data_cmd.app, name="data")
app.add_typer(eval_cmd.app, name="eval")
app.add_typer(models_cmd.app, name="models")
app.command("generate")(generate_cmd.generate)
# The command list shows a docstring's first paragraph with its line breaks; these two are long.
app.command("report", short_help="Write a run's HTML report: curves, panels, tables, replays.")(
    report_cmd.report
)
app.command(
    "proof", short_help="Show on held-out ground truth whether a recipe improves the toy VLM."
)(proof_cmd.proof)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"zeroplay {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """zeroplay: self-play RL for vision-language models."""
    keep_freed_memory()  # large CPU tensors without page faults (zeroplay.runtime.heap)


if __name__ == "__main__":
    app()
