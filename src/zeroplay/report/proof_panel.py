"""The learning-proof panel: the tables of `proof.json` (metrics, and per iteration where the
proof has one) and a before/after plot with intervals.

A proof folder (`zeroplay proof ... --out DIR`, one folder per recipe) holds `proof.json`, the
trained run in `trained/` and the control run in `control/`; `proofs.json` (several recipes)
holds a list of such results.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zeroplay.report.figures import Plot, new_figure, style_axes, to_png
from zeroplay.report.html_parts import esc, fmt, note, table

HEADERS = [
    "metric",
    "base",
    "trained",
    "control",
    "trained − base [95% CI]",
    "trained − control [95% CI]",
    "n",
    "interval",
    "passes",
]


def read_proofs(root: Path) -> list[dict[str, Any]]:
    """The proof results found in `root` (proof.json, or the list in proofs.json)."""
    results: list[dict[str, Any]] = []
    for name in ("proof.json", "proofs.json"):
        path = root / name
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            results.extend(data if isinstance(data, list) else [data])
    return results


def _interval(delta: float | None, ci: list[float] | None) -> str:
    if delta is None or ci is None:
        return "–"
    return esc(f"{delta:+.3f} [{ci[0]:+.3f}, {ci[1]:+.3f}]")


def proof_table(result: dict[str, Any]) -> str:
    rows = []
    for m in result["metrics"]:
        rows.append(
            [
                esc(m["name"] + (" (primary)" if m["primary"] else "")),
                fmt(m["base"]),
                fmt(m["trained"]),
                fmt(m["control"]),
                _interval(m["delta"], m["ci95"]),
                _interval(m.get("delta_vs_control"), m.get("ci95_vs_control")),
                esc(str(m["n"])),
                esc(m.get("interval", "")),
                esc("yes" if m.get("passed") else "no"),
            ]
        )
    verdict = "passed" if result.get("passed") else "not shown"
    caption = (
        f"{result['recipe']} from {result['base_model']}, seed {result['seed']}: {verdict}; "
        f"{result['wall_seconds']:.0f} s"
    )
    return table(HEADERS, rows, caption=caption)


def _iteration_cell(value: Any, is_count: bool) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, str):
        return value
    return f"{value:.0f}" if is_count else f"{value:.3f}"


def iteration_cells(result: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The proof's per-iteration table as plain text (column titles, rows) from
    `details.per_iteration` and the columns the proof wrote beside it (model output per phase,
    silver-label quality or the co-evolution funnel); no rows when the proof has none. Missing
    or NaN values are "-". `zeroplay proof` prints it, the report shows it."""
    details = result.get("details", {})
    rows = details.get("per_iteration") or []
    columns = details.get("per_iteration_columns") or []
    if not rows or not columns:
        return [], []
    cells = [
        [_iteration_cell(row.get(key), bool(count)) for key, _, count in columns] for row in rows
    ]
    return [title for _, title, _ in columns], cells


def iteration_table(result: dict[str, Any]) -> str:
    """The per-iteration table as HTML; "" when the proof has none."""
    titles, rows = iteration_cells(result)
    if not rows:
        return ""
    caption = f"{result['recipe']}, seed {result['seed']}: per iteration"
    return table(titles, [[esc(cell) for cell in row] for row in rows], caption=caption)


def proof_plot(result: dict[str, Any]) -> Plot:
    """Bars of base, trained and control per metric; error bars are the trained−base interval."""
    metrics = result["metrics"]
    figure = new_figure(width=max(6.4, 2.2 * len(metrics)), height=3.6)
    axes = figure.add_subplot()
    width = 0.26
    for k, (label, key) in enumerate(
        (("warm start", "base"), ("trained", "trained"), ("control", "control"))
    ):
        xs = [i + (k - 1) * width for i in range(len(metrics))]
        values = [m[key] for m in metrics]
        errors = None
        if key == "trained":
            # The interval of trained − base, drawn around the trained value.
            errors = [
                [m["delta"] - m["ci95"][0] for m in metrics],
                [m["ci95"][1] - m["delta"] for m in metrics],
            ]
        axes.bar(xs, values, width, label=label, yerr=errors, capsize=3)
    axes.set_xticks(range(len(metrics)))
    axes.set_xticklabels([m["name"] for m in metrics], fontsize=8)
    axes.set_ylim(0, 1)
    axes.legend(fontsize=8)
    style_axes(
        axes,
        f"{result['recipe']}: before and after (seed {result['seed']})",
        "score",
        xlabel="held-out metric",
        counted_x=False,
    )
    name = f"proof_{result['recipe'].replace('-', '_')}_seed{result['seed']}"
    return Plot(
        name,
        f"Learning proof: {result['recipe']}",
        to_png(figure),
        "Error bars: 95% interval of trained − base.",
    )


def proof_section(root: Path) -> tuple[str, list[Plot]]:
    """HTML and plots for the proofs in `root` ("" and [] when there are none)."""
    try:
        results = read_proofs(root)
    except (OSError, ValueError) as exc:
        return note(f"proof.json could not be read: {exc}"), []
    if not results:
        return "", []
    html = "".join(proof_table(r) + iteration_table(r) for r in results)
    return html, [proof_plot(r) for r in results]
