"""`zeroplay proof RECIPE|all`: show that a recipe improves the warm-started toy model."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from zeroplay.cli.common import console, fail, quiet_libraries
from zeroplay.cli.toy_model import ensure_model

# Recipes with a learning proof.
PROOFS = ("vision-zero", "visplay", "mm-zero")


def proof(
    recipe: str = typer.Argument(..., help=f"Which recipe: {', '.join(PROOFS)} or all."),
    seed: int = typer.Option(
        0, "--seed", help="Proof seed: training pairs, the control and held-out data follow it."
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder (default runs/proof-SEED)."),
    steps: int | None = typer.Option(
        None,
        "--steps",
        help="Vision-Zero: training steps of the trained and control runs; VisPlay and "
        "MM-Zero: iterations (default: the preset's).",
    ),
    quick: bool = typer.Option(
        False, "--quick", help="A minutes-long smoke run of the pipeline (too small to prove)."
    ),
) -> None:
    """Train the recipe's `proof` preset from the warm-started `toy`, train a control whose
    rewards are permuted within each batch, then evaluate the warm start, the trained model and
    the control on held-out ground truth (seeds disjoint from all training data). Prints a table
    with 95% intervals and writes OUT/RECIPE/proof.json (and OUT/proofs.json for several).
    Running it again reuses finished training runs."""
    from rich.console import Console
    from rich.table import Table

    from zeroplay.data.seed_spaces import SPAN
    from zeroplay.proof import mm_zero, vision_zero, visplay
    from zeroplay.proof.result import TABLE_HEADER, table_rows
    from zeroplay.report.proof_panel import iteration_cells

    quiet_libraries()
    chosen = list(PROOFS) if recipe == "all" else [recipe]
    for name in chosen:
        if name not in PROOFS:
            fail(f"no proof for {name!r}; choose from {', '.join(PROOFS)} or all")
    if not 0 <= seed < SPAN:
        fail(f"--seed must be in [0, {SPAN})")
    root = out or Path("runs") / f"proof-{seed}"
    ensure_model("toy")
    results = []
    for name in chosen:
        # --steps is Vision-Zero's training steps, the other proofs' iterations
        module, budget = {
            "vision-zero": (vision_zero, vision_zero.Budget(steps=steps)),
            "visplay": (visplay, visplay.Budget(iterations=steps)),
            "mm-zero": (mm_zero, mm_zero.Budget(iterations=steps)),
        }[name]
        budget = budget.quick() if quick else budget
        result = module.prove(seed, root / name, budget, say=console.print)
        results.append(result.to_json())
    if len(results) > 1:
        (root / "proofs.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    table = Table(title=f"zeroplay proof (seed {seed})")
    for column in TABLE_HEADER:
        table.add_column(column)
    for row in table_rows(results):
        table.add_row(*row)
    wide = Console(width=max(console.width, 160))  # 9+ columns: never fold the numbers
    wide.print(table)
    for result in results:
        titles, rows = iteration_cells(result)
        if not rows:
            continue
        per_iteration = Table(title=f"{result['recipe']}: per iteration (seed {seed})")
        for title in titles:
            per_iteration.add_column(title)
        for row in rows:
            per_iteration.add_row(*row)
        wide.print(per_iteration)
    for result in results:
        verdict = "[green]PASS[/]" if result["passed"] else "[red]not shown[/]"
        bar = "primary metric: interval above zero and above the control"
        if result["recipe"] == "vision-zero":
            bar = (
                "primary and required metrics: intervals above zero and above the control, "
                f"win rate >= {vision_zero.MIN_WIN_RATE:.2f}"
            )
        console.print(
            f"{result['recipe']}: {verdict} ({bar}); {result['wall_seconds']:.0f} s; "
            f"{root / result['recipe'] / 'proof.json'}"
        )
