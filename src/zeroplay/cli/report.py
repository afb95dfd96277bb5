"""`zeroplay report RUN_DIR`: write RUN_DIR/report.html (one offline file) and RUN_DIR/plots/."""

from __future__ import annotations

from pathlib import Path

import typer

from zeroplay.cli.common import console, fail


def report(
    run_dir: Path = typer.Argument(..., help="A run directory (made by `zeroplay train`)."),
    out: Path | None = typer.Option(
        None, "--out", help="Where to write the HTML (default: RUN_DIR/report.html)."
    ),
    episodes: int = typer.Option(
        12, "--episodes", min=0, help="Replays shown per kind of record, spread over the run."
    ),
    thumbnail_px: int = typer.Option(
        360, "--thumbnail-px", min=32, help="Longest side of the images embedded in replays."
    ),
    render_svg: bool = typer.Option(
        True,
        "--render-svg/--no-render-svg",
        help="Draw MM-Zero SVGs that have no stored render (in the SVG sandbox).",
    ),
) -> None:
    """Write the run's report: summary, config, training curves, the recipe's panels,
    evaluation tables and a replay viewer of sampled episodes; the plots also go to
    RUN_DIR/plots/ as PNG."""
    from zeroplay.report.build import ReportError, build_report

    try:
        result = build_report(
            run_dir,
            out=out,
            episodes=episodes,
            thumbnail_px=thumbnail_px,
            render_svg=render_svg,
        )
    except ReportError as error:
        fail(str(error))
    console.print(f"[green]report[/]: {result.html_path} ({len(result.plot_paths)} plots)")
    if result.problems:
        console.print(f"{len(result.problems)} item(s) could not be read; see the report's end.")
