"""Comparing results files: per-benchmark accuracy of each model, micro and macro averages, and
deltas against a baseline model.

Micro accuracy pools the items of all benchmarks (large benchmarks weigh more); macro accuracy
is the unweighted mean of the per-benchmark accuracies. Both are taken over the benchmarks that
every compared model has, so the averages of different models are over the same benchmarks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


class CompareError(ValueError):
    """The results cannot be compared (duplicates, unknown baseline, missing judge, ...)."""


@dataclass(frozen=True)
class BenchScore:
    """One model's result on one benchmark."""

    n: int
    correct: int
    item_ids: frozenset[str]

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0


@dataclass
class Comparison:
    models: list[str]
    benchmarks: list[str]
    baseline: str
    metric: str
    scores: dict[tuple[str, str], BenchScore]
    warnings: list[str] = field(default_factory=list)

    @property
    def shared(self) -> list[str]:
        """Benchmarks every model was evaluated on."""
        return [b for b in self.benchmarks if all((m, b) in self.scores for m in self.models)]

    def accuracy(self, model: str, benchmark: str) -> float | None:
        score = self.scores.get((model, benchmark))
        return score.accuracy if score is not None else None

    def delta(self, model: str, benchmark: str) -> float | None:
        """accuracy(model) - accuracy(baseline) on `benchmark`; None if either is missing."""
        mine, base = self.accuracy(model, benchmark), self.accuracy(self.baseline, benchmark)
        return None if mine is None or base is None else mine - base

    def micro(self, model: str) -> float | None:
        """Pooled accuracy over the shared benchmarks: sum(correct) / sum(n)."""
        scores = [self.scores[(model, b)] for b in self.shared]
        total = sum(s.n for s in scores)
        return sum(s.correct for s in scores) / total if total else None

    def macro(self, model: str) -> float | None:
        """Mean of the per-benchmark accuracies over the shared benchmarks."""
        accuracies = [self.scores[(model, b)].accuracy for b in self.shared]
        return sum(accuracies) / len(accuracies) if accuracies else None

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "baseline": self.baseline,
            "shared_benchmarks": self.shared,
            "models": {
                model: {
                    "micro": self.micro(model),
                    "macro": self.macro(model),
                    "benchmarks": {
                        b: {
                            "n": self.scores[(model, b)].n,
                            "correct": self.scores[(model, b)].correct,
                            "accuracy": self.scores[(model, b)].accuracy,
                            "delta": self.delta(model, b),
                        }
                        for b in self.benchmarks
                        if (model, b) in self.scores
                    },
                }
                for model in self.models
            },
            "warnings": self.warnings,
        }


def _score(document: dict[str, Any], metric: str, where: str) -> BenchScore:
    items = document.get("items") or []
    ids = frozenset(str(item.get("id")) for item in items if isinstance(item, dict))
    summary = document["summary"]
    if metric == "judge":
        judge = summary.get("judge")
        if not isinstance(judge, dict):
            raise CompareError(f"{where} has no judge verdicts; rerun with a judge or drop --judge")
        return BenchScore(int(judge["n"]), int(judge["correct"]), ids)
    return BenchScore(int(summary["n"]), int(summary["correct"]), ids)


def build_comparison(
    documents: Sequence[tuple[str, dict[str, Any]]],
    baseline: str | None = None,
    metric: str = "rules",
) -> Comparison:
    """Compare (source name, results document) pairs; `metric` is "rules" or "judge".

    Models are named by their results' label, benchmarks by name; the baseline defaults to the
    first model. The same (model, benchmark) twice is an error naming both files.
    """
    if metric not in ("rules", "judge"):
        raise CompareError(f"unknown metric {metric!r}")
    if not documents:
        raise CompareError("no results to compare")
    models: list[str] = []
    benchmarks: list[str] = []
    scores: dict[tuple[str, str], BenchScore] = {}
    origin: dict[tuple[str, str], str] = {}
    for where, document in documents:
        model = str(document["model"].get("label"))
        benchmark = str(document["benchmark"].get("name"))
        key = (model, benchmark)
        if key in scores:
            raise CompareError(
                f"{where} and {origin[key]} both hold {benchmark!r} for model {model!r}; "
                "give one of the runs another --label"
            )
        scores[key] = _score(document, metric, where)
        origin[key] = where
        if model not in models:
            models.append(model)
        if benchmark not in benchmarks:
            benchmarks.append(benchmark)
    chosen = baseline if baseline is not None else models[0]
    if chosen not in models:
        raise CompareError(f"baseline {chosen!r} is not among the models: {', '.join(models)}")
    comparison = Comparison(models, benchmarks, chosen, metric, scores)
    for benchmark in benchmarks:
        id_sets = {scores[(m, benchmark)].item_ids for m in models if (m, benchmark) in scores}
        if len(id_sets) > 1:
            comparison.warnings.append(
                f"{benchmark}: models were evaluated on different items (different --limit or "
                "file versions); its deltas compare different sets"
            )
    missing = [b for b in benchmarks if b not in comparison.shared]
    if missing:
        comparison.warnings.append(
            f"not every model has {', '.join(missing)}; micro and macro use only "
            f"{', '.join(comparison.shared) or 'no benchmark'}"
        )
    return comparison
