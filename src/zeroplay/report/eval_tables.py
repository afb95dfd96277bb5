"""Evaluation results found in the run directory (`zeroplay eval run` files, docs/eval.md):
an accuracy table per model and benchmark, details per file, and accuracy over checkpoints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zeroplay.report.figures import Plot, line_plot
from zeroplay.report.html_parts import esc, fmt, folded, key_value_table, note, pct, table
from zeroplay.report.run_files import EvalResult
from zeroplay.report.series import Series, number


@dataclass(frozen=True)
class EvalRow:
    label: str
    step: int | None
    policy: str | None
    benchmark: str
    n: int
    correct: int
    accuracy: float | None
    judge_accuracy: float | None
    result: EvalResult


def _int(value: Any) -> int:
    v = number(value)
    return int(v) if v is not None else 0


def eval_rows(results: Sequence[EvalResult]) -> list[EvalRow]:
    rows = []
    for result in results:
        doc = result.document
        model = doc.get("model") if isinstance(doc.get("model"), Mapping) else {}
        bench = doc.get("benchmark") if isinstance(doc.get("benchmark"), Mapping) else {}
        summary = doc["summary"]
        judge = summary.get("judge") if isinstance(summary.get("judge"), Mapping) else {}
        step = number(model.get("step"))
        rows.append(
            EvalRow(
                label=str(model.get("label") or result.path),
                step=int(step) if step is not None else None,
                policy=str(model["policy"]) if model.get("policy") else None,
                benchmark=str(bench.get("name") or result.path),
                n=_int(summary.get("n")),
                correct=_int(summary.get("correct")),
                accuracy=number(summary.get("accuracy")),
                judge_accuracy=number(judge.get("accuracy")) if judge else None,
                result=result,
            )
        )
    rows.sort(key=lambda r: (r.step if r.step is not None else -1, r.policy or "", r.label))
    return rows


def accuracy_table(rows: Sequence[EvalRow]) -> str:
    """Models down, benchmarks across; micro and macro averages over each model's benchmarks."""
    benchmarks = sorted({r.benchmark for r in rows})
    models: dict[str, dict[str, EvalRow]] = {}
    for row in rows:
        models.setdefault(row.label, {})[row.benchmark] = row
    body = []
    for label, cells in models.items():
        first = next(iter(cells.values()))
        line = [esc(label), fmt(first.step), esc(first.policy or "—")]
        for benchmark in benchmarks:
            row = cells.get(benchmark)
            if row is None:
                line.append("—")
                continue
            text = f"{pct(row.accuracy)} ({row.correct}/{row.n})"
            if row.judge_accuracy is not None:
                text += f"; judge {pct(row.judge_accuracy)}"
            line.append(esc(text))
        n = sum(r.n for r in cells.values())
        accuracies = [r.accuracy for r in cells.values() if r.accuracy is not None]
        line.append(pct(sum(r.correct for r in cells.values()) / n) if n else "—")
        line.append(pct(sum(accuracies) / len(accuracies)) if accuracies else "—")
        body.append(line)
    headers = ["model", "step", "policy", *benchmarks, "micro", "macro"]
    return table(headers, body, caption="Accuracy by the rules (correct / items)")


def _group_table(title: str, groups: Any) -> str:
    if not isinstance(groups, Mapping) or not groups:
        return ""
    rows = [
        [esc(name), fmt(g.get("n")), fmt(g.get("correct")), pct(number(g.get("accuracy")))]
        for name, g in groups.items()
        if isinstance(g, Mapping)
    ]
    return table([title, "items", "correct", "accuracy"], rows)


def details(row: EvalRow) -> str:
    summary = row.result.document["summary"]
    extraction = summary.get("extraction")
    methods = (
        ", ".join(f"{k}: {v}" for k, v in extraction.items())
        if isinstance(extraction, Mapping)
        else "—"
    )
    facts = key_value_table(
        [
            ("file", esc(row.result.path)),
            ("items", fmt(row.n)),
            ("correct", fmt(row.correct)),
            ("accuracy", pct(row.accuracy)),
            ("no answer", fmt(summary.get("no_answer"))),
            ("truncated", fmt(summary.get("truncated"))),
            ("errors", fmt(summary.get("errors"))),
            ("answers found by", esc(methods)),
            ("judge accuracy", pct(row.judge_accuracy)),
        ]
    )
    body = (
        facts
        + _group_table("answer type", summary.get("by_type"))
        + _group_table("category", summary.get("by_category"))
    )
    return folded(f"{row.label} on {row.benchmark}", body)


def accuracy_plot(rows: Sequence[EvalRow]) -> Plot | None:
    """Accuracy against checkpoint step, one line per (benchmark, policy); None with < 2 steps."""
    lines: dict[str, list[tuple[float, float]]] = {}
    for row in rows:
        if row.step is None or row.accuracy is None:
            continue
        name = row.benchmark + (f" ({row.policy})" if row.policy else "")
        lines.setdefault(name, []).append((float(row.step), row.accuracy))
    if len({x for pts in lines.values() for x, _ in pts}) < 2:
        return None
    series = [
        Series(name, tuple(x for x, _ in sorted(p)), tuple(y for _, y in sorted(p)))
        for name, p in lines.items()
    ]
    return line_plot(
        "eval_accuracy",
        "Benchmark accuracy over checkpoints",
        series,
        "accuracy",
        xlabel="checkpoint step",
    )


def eval_section(results: Sequence[EvalResult]) -> tuple[str, list[Plot]]:
    """The section's HTML and its plot (if any)."""
    if not results:
        return note("No eval results in this run directory (see `zeroplay eval run`)."), []
    rows = eval_rows(results)
    plot = accuracy_plot(rows)
    html = accuracy_table(rows) + "".join(details(r) for r in rows)
    return html, [plot] if plot is not None else []
