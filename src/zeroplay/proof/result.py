"""A proof's result: its metrics with intervals, written to `proof.json` and printed as a table.

Each metric compares three models on the same held-out items: the warm start (`base`), the
recipe's run (`trained`) and the control run (`control`, rewards permuted within each batch).
`delta` = trained - base with its 95% interval `ci95`; `delta_vs_control` = trained - control
with `ci95_vs_control`. A metric passes when both intervals lie above zero (and, for a rate
with `min_rate`, when the rate itself reaches it). A proof passes when every primary metric and
every `required` one passes: Vision-Zero requires its win rate against the warm start too.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ProofMetric:
    name: str
    primary: bool
    base: float
    trained: float
    control: float
    delta: float
    ci95: tuple[float, float]
    n: int
    interval: str  # "paired bootstrap" or "wilson vs 0.5"
    delta_vs_control: float | None = None
    ci95_vs_control: tuple[float, float] | None = None
    ci95_trained: tuple[float, float] | None = None  # a rate's own interval (win rates)
    required: bool = False  # the proof passes only if this metric passes too
    min_rate: float | None = None  # the trained value must reach this (e.g. a 0.60 win rate)

    @property
    def passed(self) -> bool:
        above_base = self.ci95[0] > 0
        above_control = self.ci95_vs_control is None or self.ci95_vs_control[0] > 0
        high_enough = self.min_rate is None or self.trained >= self.min_rate
        return above_base and above_control and high_enough

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["ci95"] = list(self.ci95)
        for key in ("ci95_vs_control", "ci95_trained"):
            if out[key] is not None:
                out[key] = list(out[key])
        out["passed"] = self.passed
        return out


@dataclass
class ProofResult:
    recipe: str
    seed: int
    base_model: str
    wall_seconds: float
    metrics: list[ProofMetric]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(m.passed for m in self.metrics if m.primary or m.required)

    def to_json(self) -> dict[str, Any]:
        return {
            "recipe": self.recipe,
            "seed": self.seed,
            "base_model": self.base_model,
            "wall_seconds": round(self.wall_seconds, 1),
            "passed": self.passed,
            "metrics": [m.to_json() for m in self.metrics],
            "details": self.details,
        }

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "proof.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
        return path


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def table_rows(results: list[dict[str, Any]]) -> list[list[str]]:
    """Rows (recipe, metric, base, trained, control, delta [ci], vs control [ci], n, pass)."""
    rows = []
    for result in results:
        for m in result["metrics"]:
            ci = m["ci95"]
            vs = m.get("ci95_vs_control")
            rows.append(
                [
                    f"{result['recipe']} (seed {result['seed']})",
                    m["name"] + (" *" if m["primary"] else ""),
                    _fmt(m["base"]),
                    _fmt(m["trained"]),
                    _fmt(m["control"]),
                    f"{m['delta']:+.3f} [{ci[0]:+.3f}, {ci[1]:+.3f}]",
                    "-"
                    if vs is None
                    else f"{m['delta_vs_control']:+.3f} [{vs[0]:+.3f}, {vs[1]:+.3f}]",
                    str(m["n"]),
                    "yes" if m["passed"] else "no",
                ]
            )
    return rows


TABLE_HEADER = [
    "recipe",
    "metric (* primary)",
    "base",
    "trained",
    "control",
    "trained-base [95% CI]",
    "trained-control [95% CI]",
    "n",
    "pass",
]


# Per recipe: (key in a `details.per_iteration` row, column title, whether it is a count),
# written into proof.json beside the rows (`details.per_iteration_columns`)
ITERATION_COLUMNS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "visplay": (
        ("run", "run", False),
        ("iteration", "iteration", True),
        ("questioner_valid_frac", "valid questions", False),
        ("label_questions", "labelled", True),
        ("label_kept", "kept", True),
        ("reasoner_steps", "reasoner steps", True),
        ("checkable", "checkable", True),
        ("silver_accuracy", "silver-label accuracy", False),
        ("kept_checkable", "kept checkable", True),
        ("answerability", "answerability", False),
        ("questioner_accuracy", "questioner's answers right", False),
    ),
    "mm-zero": (
        ("run", "run", False),
        ("iteration", "iteration", True),
        ("funnel_proposals", "proposals", True),
        ("funnel_valid_proposals", "valid", True),
        ("funnel_rendered", "rendered", True),
        ("funnel_kept", "kept", True),
        ("codegen_training_size", "CodeGen items", True),
        ("solver_training_size", "Solver items", True),
        ("render_rate", "render rate", False),
        ("solvability", "solvability", False),
    ),
}
