"""`build_report(run_dir)`: read a run directory, draw its plots, write `report.html` and
`plots/*.png`.

The page has: summary, config, training curves, the recipe's panels, evaluation tables, the
replay viewer, and a list of anything that could not be read. Every part copes with missing
data (a panel without data is left out or says so); only a path that is not a run directory is
an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zeroplay.report.eval_tables import eval_section
from zeroplay.report.figures import Plot
from zeroplay.report.html_parts import (
    esc,
    fmt,
    folded,
    key_value_table,
    note,
    table,
    tag,
    text_block,
)
from zeroplay.report.images import DEFAULT_MAX_SIDE, ThumbnailCache
from zeroplay.report.mm_zero_files import data_records
from zeroplay.report.mm_zero_panels import mm_zero_plots
from zeroplay.report.page import plots_grid, render_page
from zeroplay.report.proof_panel import proof_section
from zeroplay.report.record_kinds import MM_ZERO, VISION_ZERO, VISPLAY, detect_recipe
from zeroplay.report.replays import replays_html
from zeroplay.report.run_files import RunFiles, load_run
from zeroplay.report.summary import summarize_run, summary_rows
from zeroplay.report.training_plots import training_plots
from zeroplay.report.vision_zero_panels import vision_zero_plots
from zeroplay.report.visplay_panels import visplay_plots
from zeroplay.rl.rundir import atomic_write_bytes, atomic_write_text

DEFAULT_EPISODES = 12
# Plot files this package writes (older ones with these prefixes are replaced on each build).
PLOT_PREFIXES = ("training_", "vision_zero_", "visplay_", "mm_zero_", "eval_", "proof_")
MAX_PROBLEMS_SHOWN = 50
RECIPE_TITLES = {VISION_ZERO: "Vision-Zero", VISPLAY: "VisPlay", MM_ZERO: "MM-Zero"}
COEVOLUTION_ROWS = (
    ("difficulty", "difficulty"),
    ("solvability", "solvability"),
    ("render_rate", "render rate"),
    ("easy_hard_gap", "easy − hard gap"),
    ("content_type_entropy", "content diversity (H / ln K)"),
    ("svg_length", "mean SVG length (chars)"),
    ("codegen_training_size", "CodeGen training set"),
    ("solver_training_size", "Solver training set"),
)


class ReportError(ValueError):
    """The path cannot be reported on (it is not a run directory)."""


@dataclass
class ReportResult:
    html_path: Path
    plot_paths: list[Path]
    recipe: str | None
    problems: list[str] = field(default_factory=list)


def _check_run_dir(root: Path) -> None:
    if not root.is_dir():
        raise ReportError(f"{str(root)!r} is not a folder")
    markers = (
        "config.yaml",
        "metrics.jsonl",
        "rollouts",
        "checkpoints",
        "phases",
        "proof.json",
        "proofs.json",
    )
    if not any((root / m).exists() for m in markers):
        raise ReportError(
            f"{str(root)!r} is not a run directory (it has none of {', '.join(markers)})"
        )


def _user_data_folder(run: RunFiles) -> list[Path]:
    """The `data.path` folder of the config (user images), if it names one."""
    data = run.config.get("data")
    path = data.get("path") if isinstance(data, Mapping) else None
    if not isinstance(path, str) or not path:
        return []
    folder = Path(path).expanduser()
    return [folder if folder.is_absolute() else Path.cwd() / folder]


def _image_roots(run: RunFiles) -> list[Path]:
    """Where relative image references are looked up: the run, its data, the user's data."""
    return [run.root, run.root / "data", *_user_data_folder(run), run.root / "data" / "images"]


def _pair_folders(run: RunFiles) -> list[Path]:
    """Where Vision-Zero pairs live: generated into the run, or the user's folder."""
    return [run.root / "data" / "pairs", *_user_data_folder(run)]


def _coevolution_table(metrics: Mapping[int, Mapping[str, Any]]) -> str:
    if not metrics:
        return ""
    iterations = sorted(metrics)
    rows = [
        [esc(label), *(fmt(metrics[i].get(key)) for i in iterations)]
        for key, label in COEVOLUTION_ROWS
    ]
    return table(["metric", *(f"v{i}" for i in iterations)], rows, caption="Co-evolution metrics")


def _recipe_section(run: RunFiles, recipe: str | None) -> tuple[str, list[Plot]]:
    if recipe == VISION_ZERO:
        plots = vision_zero_plots(run.metrics, run.config)
        return plots_grid(plots, "No Vision-Zero game metrics logged yet."), plots
    if recipe == VISPLAY:
        plots = visplay_plots(run.metrics, run.summaries)
        return plots_grid(plots, "No VisPlay metrics logged yet."), plots
    if recipe == MM_ZERO:
        plots, metrics = mm_zero_plots(run.root, run.metrics, run.rollouts, run.problems)
        body = plots_grid(plots, "No MM-Zero iteration has finished its Solver data yet.")
        return body + _coevolution_table(metrics), plots
    return note("The recipe of this run is unknown, so no recipe panels are drawn."), []


def _problems_html(problems: list[str]) -> str:
    unique = list(dict.fromkeys(problems))
    items = "".join(tag("li", esc(p)) for p in unique[:MAX_PROBLEMS_SHOWN])
    more = len(unique) - MAX_PROBLEMS_SHOWN
    if more > 0:
        items += tag("li", esc(f"... and {more} more"))
    return tag("ul", items, class_="problems")


def _write_plots(root: Path, plots: list[Plot]) -> list[Path]:
    folder = root / "plots"
    folder.mkdir(parents=True, exist_ok=True)
    names = {f"{p.name}.png" for p in plots}
    for old in folder.glob("*.png"):
        if old.name.startswith(PLOT_PREFIXES) and old.name not in names:
            old.unlink()
    paths = []
    for plot in plots:
        path = folder / f"{plot.name}.png"
        atomic_write_bytes(path, plot.png)
        paths.append(path)
    return paths


def build_report(
    run_dir: str | Path,
    *,
    out: str | Path | None = None,
    episodes: int = DEFAULT_EPISODES,
    thumbnail_px: int = DEFAULT_MAX_SIDE,
    render_svg: bool = True,
) -> ReportResult:
    """Write the report of the run in `run_dir` (to `out`, default `RUN_DIR/report.html`).

    `episodes`: replays shown per record kind; `thumbnail_px`: longest side of embedded images;
    `render_svg`: draw MM-Zero SVGs that have no stored render (in the SVG sandbox).
    """
    root = Path(run_dir)
    _check_run_dir(root)
    proof_html, proof_plots = proof_section(root)
    # A proof folder: its table and plot, and the trained run's curves, games and replays.
    trained = root / "trained"
    run = load_run(trained if proof_html and (trained / "config.yaml").exists() else root)
    recipe = detect_recipe(run.config, run.metrics, [r.data for r in run.rollouts])
    if recipe == MM_ZERO:  # its data phases keep their records under data/, not rollouts/
        run.rollouts.extend(data_records(run.root, run.problems))
    problems = run.problems
    cache = ThumbnailCache(_image_roots(run), thumbnail_px)

    summary = summarize_run(run, recipe)
    curves = training_plots(run.metrics)
    recipe_html, recipe_plots = _recipe_section(run, recipe)
    eval_html, eval_plots = eval_section(run.eval_results)
    replays = replays_html(run.rollouts, cache, episodes, render_svg, problems, _pair_folders(run))
    problems.extend(cache.problems)

    recipe_title = RECIPE_TITLES.get(recipe or "", "Recipe")
    config_html = (
        folded("config.yaml", text_block(run.config_text), open_=True)
        if run.config_text
        else note("config.yaml is missing.")
    )
    sections = [
        *(
            [("proof", "Learning proof", proof_html + plots_grid(proof_plots, ""))]
            if proof_html
            else []
        ),
        ("summary", "Summary", key_value_table(summary_rows(summary))),
        ("config", "Config", config_html),
        ("training", "Training curves", plots_grid(curves, "No training steps logged yet.")),
        ("recipe", f"{recipe_title} panels", recipe_html),
        ("eval", "Evaluation", eval_html + (plots_grid(eval_plots, "") if eval_plots else "")),
        ("replays", "Replays", replays),
    ]
    if problems:
        sections.append(("problems", "Could not read", _problems_html(problems)))
    title = f"zeroplay report: {recipe_title if recipe else 'run'} · {root.resolve().name}"
    subtitle = f"{root.resolve()} · model {summary.model or 'unknown'}"
    html = render_page(title, subtitle, sections)

    plot_paths = _write_plots(root, [*proof_plots, *curves, *recipe_plots, *eval_plots])
    html_path = Path(out) if out is not None else root / "report.html"
    atomic_write_text(html_path, html)
    return ReportResult(html_path, plot_paths, recipe, problems)
