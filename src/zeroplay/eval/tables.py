"""Terminal tables (rich) for evaluation summaries and comparisons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.markup import escape
from rich.table import Table

from zeroplay.eval.compare import Comparison


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def signed_points(value: float | None) -> str:
    return "" if value is None else f"{100 * value:+.1f}"


def summary_table(documents: Sequence[dict[str, Any]]) -> Table:
    """One row per results document: accuracy by the rules and, when judged, by the judge."""
    judged = any(d["summary"].get("judge") for d in documents)
    label = documents[0]["model"]["label"] if documents else ""
    table = Table(title=f"{escape(label)} (accuracy in %)", title_justify="left")
    table.add_column("benchmark")
    table.add_column("items", justify="right")
    table.add_column("rules", justify="right")
    if judged:
        table.add_column("judge", justify="right")
        table.add_column("judge=rules", justify="right")
    table.add_column("no answer", justify="right")
    table.add_column("truncated", justify="right")
    table.add_column("errors", justify="right")
    for document in documents:
        summary = document["summary"]
        row = [
            escape(document["benchmark"]["name"]),
            str(summary["n"]),
            percent(summary["accuracy"]),
        ]
        if judged:
            judge = summary.get("judge") or {}
            row += [percent(judge.get("accuracy")), percent(judge.get("agreement_with_rules"))]
        row += [str(summary["no_answer"]), str(summary["truncated"]), str(summary["errors"])]
        table.add_row(*row)
    return table


def breakdown_table(document: dict[str, Any], key: str, title: str) -> Table | None:
    """Accuracy per answer type (`by_type`) or per category (`by_category`) of one document."""
    groups = document["summary"].get(key) or {}
    if len(groups) < 2:
        return None
    name = escape(document["benchmark"]["name"])
    table = Table(title=f"{name}: {title}", title_justify="left")
    table.add_column(title)
    table.add_column("items", justify="right")
    table.add_column("rules %", justify="right")
    for group_name, group in groups.items():
        table.add_row(escape(group_name) or "(none)", str(group["n"]), percent(group["accuracy"]))
    return table


def comparison_table(comparison: Comparison) -> Table:
    """Benchmarks as rows, models as columns (accuracy, and the delta to the baseline)."""
    table = Table(
        title=f"accuracy in % ({comparison.metric}); deltas against {escape(comparison.baseline)}",
        title_justify="left",
    )
    table.add_column("benchmark")
    for model in comparison.models:
        table.add_column(escape(model), justify="right")
    for benchmark in comparison.benchmarks:
        cells = []
        for model in comparison.models:
            score = comparison.scores.get((model, benchmark))
            if score is None:
                cells.append("-")
                continue
            delta = comparison.delta(model, benchmark) if model != comparison.baseline else None
            cells.append(f"{percent(score.accuracy)} {signed_points(delta)}".strip())
        table.add_row(escape(benchmark), *cells)
    for name, average in (("micro", comparison.micro), ("macro", comparison.macro)):
        cells = []
        base = average(comparison.baseline)
        for model in comparison.models:
            value = average(model)
            delta = None
            if model != comparison.baseline and value is not None and base is not None:
                delta = value - base
            cells.append(f"{percent(value)} {signed_points(delta)}".strip())
        table.add_row(f"[bold]{name}[/]", *cells)
    return table
