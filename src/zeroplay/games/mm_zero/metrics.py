"""Summary metrics of each MM-Zero step, and the co-evolution metrics of note §8.

Everything here is a pure function of records. `coevolution_metrics` takes the JSON dicts as
stored on disk, so it can be recomputed from a run directory after the fact. Undefined means
(no items) are None.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from zeroplay.games.mm_zero.records import (
    CodegenRecord,
    GeneratedProposal,
    LabelRecord,
    ProposerRecord,
    RenderFilterRecord,
    SolverRecord,
)


def _mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


def _mean0(values: Iterable[float]) -> float:
    """Mean, 0.0 for no values (for per-step logs that must stay numeric)."""
    mean = _mean(values)
    return 0.0 if mean is None else mean


def proposer_metrics(records: Sequence[ProposerRecord]) -> dict[str, float]:
    """Batch means of the Proposer reward terms; reward terms are over valid proposals."""
    valid = [r for r in records if r.valid]
    codes = sum(r.num_codes for r in valid)
    return {
        "count": float(len(records)),
        "reward": _mean0(r.reward for r in records),
        "valid_rate": _mean0(float(r.valid) for r in records),
        "base": _mean0(r.base for r in valid),
        "num_rendered": _mean0(r.num_rendered for r in valid),
        "render_rate": sum(r.num_rendered for r in valid) / codes if codes else 0.0,
        "avg_solvability": _mean0(r.avg_solvability for r in valid),
        "avg_difficulty": _mean0(r.avg_difficulty for r in valid),
        "easy_hard_penalty": _mean0(r.easy_hard_penalty for r in valid),
        "text_diversity_penalty": _mean0(r.text_diversity_penalty for r in valid),
        "content_type_penalty": _mean0(r.content_type_penalty for r in valid),
    }


def codegen_metrics(records: Sequence[CodegenRecord]) -> dict[str, float]:
    """Batch means of the CodeGen reward terms (solvability/difficulty are 0 when not rendered)."""
    return {
        "count": float(len(records)),
        "reward": _mean0(r.reward for r in records),
        "renderability": _mean0(float(r.rendered) for r in records),
        "type_compliant": _mean0(float(r.svg_like) for r in records),
        "solvability": _mean0(r.solvability for r in records),
        "difficulty": _mean0(r.difficulty for r in records),
    }


def solver_metrics(records: Sequence[SolverRecord]) -> dict[str, float]:
    """Batch means of the Solver reward terms."""
    return {
        "count": float(len(records)),
        "reward": _mean0(r.reward for r in records),
        "accuracy": _mean0(r.accuracy for r in records),
        "format": _mean0(r.format for r in records),
    }


def generation_metrics(records: Sequence[GeneratedProposal]) -> dict[str, float]:
    """How many offline proposals were generated and how many parsed."""
    return {
        "count": float(len(records)),
        "valid": float(sum(r.valid for r in records)),
        "valid_rate": _mean0(float(r.valid) for r in records),
    }


def render_filter_metrics(records: Sequence[RenderFilterRecord]) -> dict[str, float]:
    """Size of the CodeGen training set and the mean render rate of the current CodeGen."""
    rates = [r.render_rate for r in records if r.render_rate is not None]
    return {
        "count": float(len(records)),
        "kept": float(sum(r.kept for r in records)),
        "render_rate": _mean0(rates),
    }


def labelling_metrics(records: Sequence[LabelRecord]) -> dict[str, float]:
    """The Solver-data funnel and mean consistencies of the evaluated items."""
    evaluated = [r for r in records if r.evaluated]
    return {
        "count": float(len(records)),
        "rendered": float(sum(r.rendered for r in records)),
        "evaluated": float(len(evaluated)),
        "kept": float(sum(r.kept for r in records)),
        "hard_consistency": _mean0(r.hard_consistency for r in evaluated),
        "easy_consistency": _mean0(r.easy_consistency for r in evaluated),
    }


def _quantile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default method)."""
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def consistency_distribution(values: Sequence[float], bins: int = 10) -> dict[str, Any]:
    """Five-number summary and a `bins`-bin histogram over [0, 1] (the note's box plot)."""
    histogram = [0] * bins
    for value in values:
        histogram[min(int(value * bins), bins - 1)] += 1
    if not values:
        return {
            "min": None,
            "q1": None,
            "median": None,
            "q3": None,
            "max": None,
            "histogram": histogram,
        }
    ordered = sorted(values)
    return {
        "min": ordered[0],
        "q1": _quantile(ordered, 0.25),
        "median": _quantile(ordered, 0.5),
        "q3": _quantile(ordered, 0.75),
        "max": ordered[-1],
        "histogram": histogram,
    }


def normalized_entropy(counts: Mapping[str, int]) -> float:
    """Shannon entropy H / ln(K) over the K classes observed; 0 for fewer than 2 classes."""
    total = sum(counts.values())
    observed = [c for c in counts.values() if c > 0]
    if total == 0 or len(observed) < 2:
        return 0.0
    entropy = -sum(c / total * math.log(c / total) for c in observed)
    return entropy / math.log(len(observed))


def coevolution_metrics(
    *,
    proposals: Sequence[Mapping[str, Any]],
    labelling: Sequence[Mapping[str, Any]],
    render_filter: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The note's §8 panels for one iteration, from stored records.

    `proposals`: the Solver-phase `GeneratedProposal` records; `labelling`: its `LabelRecord`s
    (measured by the Solver that started the phase); `render_filter`: the CodeGen phase's
    `RenderFilterRecord`s, for the CodeGen training-set size.
    """
    evaluated = [r for r in labelling if r.get("evaluated")]
    hard = [float(r["hard_consistency"]) for r in evaluated]
    easy = [float(r["easy_consistency"]) for r in evaluated]
    rendered = [r for r in labelling if r.get("rendered") and r.get("has_hard_question")]
    types = Counter(
        ((r.get("proposal") or {}).get("content_type") or "other") if r.get("valid") else "unknown"
        for r in proposals
    )
    total_types = sum(types.values())
    mean_easy, mean_hard = _mean(easy), _mean(hard)
    codes = [len(r["code"]) for r in labelling if r.get("code")]
    return {
        # 1 - |2c - 1| = 2 min(c, 1 - c): 1 when the Solver splits evenly on the hard question.
        "difficulty": _mean(1.0 - abs(2.0 * c - 1.0) for c in hard),
        "solvability": mean_easy,
        "render_rate": len(rendered) / len(labelling) if labelling else None,
        "easy_hard_gap": mean_easy - mean_hard
        if mean_easy is not None and mean_hard is not None
        else None,
        "hard_consistency": consistency_distribution(hard),
        "content_types": {k: v / total_types for k, v in sorted(types.items())},
        "content_type_entropy": normalized_entropy(types),
        "funnel": {
            "proposals": len(proposals),
            "valid_proposals": sum(1 for r in proposals if r.get("valid")),
            "sent_to_codegen": len(labelling),
            "rendered": len(rendered),
            "evaluated": len(evaluated),
            "kept": sum(1 for r in labelling if r.get("kept")),
        },
        "svg_length": _mean(codes),
        "codegen_training_size": sum(1 for r in render_filter if r.get("kept"))
        if render_filter is not None
        else None,
        "solver_training_size": sum(1 for r in labelling if r.get("kept")),
    }
