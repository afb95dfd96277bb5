"""The run at a glance: recipe, model, steps, wall time, throughput, phases and checkpoints."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zeroplay.report.html_parts import esc, fmt
from zeroplay.report.run_files import RunFiles
from zeroplay.report.series import find_key, number

_CHECKPOINT = re.compile(r"^step_(\d+)$")
# Cumulative clocks a recipe may log; the largest value is the run's wall time so far.
_ELAPSED_KEYS = ("elapsed_seconds", "wall_seconds", "wall_time", "time_elapsed")


@dataclass(frozen=True)
class RunSummary:
    recipe: str | None
    model: str | None
    seed: Any
    steps: int | None
    logged_steps: int
    wall_seconds: float | None
    wall_source: str
    completion_tokens: float | None
    tokens_per_second: float | None
    samples: float | None
    phases: tuple[str, ...]
    checkpoints: tuple[int, ...]
    rollout_records: int
    eval_files: int


def _total(records: Sequence[Mapping[str, Any]], suffix: str) -> float | None:
    """Sum over records of key `suffix`, or, in a record without it, of its "PREFIX/suffix"
    keys (a recipe that logs per policy); None when no record has any."""
    total, found = 0.0, False
    for record in records:
        exact = number(record.get(suffix))
        if exact is not None:
            values = [exact]
        else:
            values = [
                v
                for k, raw in record.items()
                if k.endswith("/" + suffix) and (v := number(raw)) is not None
            ]
        if values:
            total += sum(values)
            found = True
    return total if found else None


def wall_time(
    steps: Sequence[Mapping[str, Any]], summaries: Sequence[Mapping[str, Any]] = ()
) -> tuple[float | None, str]:
    """(seconds, how it was measured), from the best clock the run logged:

    1. `wall_seconds` or `seconds` of the phase summaries, summed (each covers one phase or
       session);
    2. the largest cumulative clock on the step records;
    3. the per-step rollout and update times, plus summary-only `*_seconds` keys (phases
       without optimizer steps, e.g. VisPlay's labelling); this leaves out checkpointing.
    """
    sessions = [
        v for r in summaries if (v := number(r.get("wall_seconds", r.get("seconds")))) is not None
    ]
    if sessions:
        return sum(sessions), "phase summaries"
    clocks = [v for r in steps for k in _ELAPSED_KEYS if (v := number(r.get(k))) is not None]
    if clocks:
        return max(clocks), "logged clock"
    step_keys = {k for r in steps for k in r}
    extra = [
        v
        for r in summaries
        for k, raw in r.items()
        if k.endswith("_seconds") and k not in step_keys and (v := number(raw)) is not None
    ]
    parts = [_total(steps, "rollout_seconds"), _total(steps, "update_seconds"), *extra]
    known = [p for p in parts if p is not None]
    if not known:
        return None, "not logged"
    return sum(known), "sum of rollout, update and phase times"


def summarize_run(run: RunFiles, recipe: str | None) -> RunSummary:
    model = find_key(run.config, "model")
    model_name = model.get("name") if isinstance(model, Mapping) else model
    steps = [int(s) for r in run.metrics if (s := number(r.get("step"))) is not None]
    wall, source = wall_time(run.metrics, run.summaries)
    tokens = _total(run.metrics, "completion_tokens")
    rollout_s = _total(run.metrics, "rollout_seconds")
    checkpoints = []
    folder = run.root / "checkpoints"
    if folder.is_dir():
        for child in folder.iterdir():
            match = _CHECKPOINT.match(child.name)
            if match and child.is_dir():
                checkpoints.append(int(match.group(1)))
    return RunSummary(
        recipe=recipe,
        model=None if model_name is None else str(model_name),
        seed=find_key(run.config, "seed"),
        steps=max(steps) if steps else None,
        logged_steps=len(run.metrics),
        wall_seconds=wall,
        wall_source=source,
        completion_tokens=tokens,
        tokens_per_second=tokens / rollout_s if tokens is not None and rollout_s else None,
        samples=_total(run.metrics, "samples"),
        phases=tuple(run.phases),
        checkpoints=tuple(sorted(checkpoints)),
        rollout_records=len(run.rollouts),
        eval_files=len(run.eval_results),
    )


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def summary_rows(summary: RunSummary) -> list[tuple[str, str]]:
    """(name, HTML value) rows for the summary table."""
    wall = duration(summary.wall_seconds)
    if summary.wall_seconds is not None:
        wall += f" ({esc(summary.wall_source)})"
    throughput = "—"
    if summary.tokens_per_second is not None:
        throughput = f"{summary.tokens_per_second:,.1f} generated tokens/s during rollouts"
    checkpoints = ", ".join(str(s) for s in summary.checkpoints) or "none"
    return [
        ("recipe", esc(summary.recipe or "unknown")),
        ("model", esc(summary.model or "unknown")),
        ("seed", esc(summary.seed) if summary.seed is not None else "—"),
        ("optimizer steps", fmt(summary.steps)),
        ("logged step records", fmt(summary.logged_steps)),
        ("wall time", wall),
        ("generated tokens", fmt(summary.completion_tokens)),
        ("throughput", throughput),
        ("trained samples", fmt(summary.samples)),
        ("finished phases", esc(", ".join(summary.phases) or "none")),
        ("checkpoints (steps)", esc(checkpoints)),
        ("replayable records", fmt(summary.rollout_records)),
        ("eval results files", fmt(summary.eval_files)),
    ]
