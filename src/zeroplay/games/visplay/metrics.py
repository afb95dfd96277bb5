"""Pure summaries of a VisPlay phase's records, for `metrics.jsonl` and the report.

Each function returns a flat `dict[str, float]` with unprefixed keys ("reward_mean",
"confidence_hist/5of10", ...); the recipe prefixes them with the phase name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from statistics import fmean

from zeroplay.answers.grading import equivalent

from .records import AnswerRecord, LabelledQuestion, QuestionRecord
from .voting import is_non_answer


def _mean(values: Sequence[float]) -> float:
    return fmean(values) if values else 0.0


def confidence_histogram(votes: Iterable[tuple[int, int]]) -> dict[str, float]:
    """Counts of (majority_count, samples) pairs, keyed "confidence_hist/{k}of{m}".

    Confidence takes only the values k/m, so exact counts are the histogram.
    """
    counts = Counter(votes)
    return {f"confidence_hist/{k}of{m}": float(n) for (k, m), n in sorted(counts.items())}


def question_type_mix(types: Iterable[str]) -> dict[str, float]:
    """Fraction of each question type, keyed "type_frac/{type}"."""
    counts = Counter(types)
    total = sum(counts.values())
    return {f"type_frac/{t}": n / total for t, n in sorted(counts.items())}


def cluster_size_histogram(sizes: Iterable[int]) -> dict[str, float]:
    """How many questions sit in a cluster of each size, keyed "cluster_size_hist/{size}"."""
    counts = Counter(sizes)
    return {f"cluster_size_hist/{s}": float(n) for s, n in sorted(counts.items())}


def _reason_counts(prefix: str, reasons: Iterable[str]) -> dict[str, float]:
    counts = Counter(reasons)
    return {f"{prefix}/{r}": float(n) for r, n in sorted(counts.items())}


def _non_answer_frac(answer_lists: Iterable[Sequence[str | None]]) -> float:
    """Share of the reasoner's replies, over all labelled questions, that gave no answer."""
    flat = [answer for answers in answer_lists for answer in answers]
    return _mean([1.0 if is_non_answer(a) else 0.0 for a in flat])


def questioner_metrics(records: Sequence[QuestionRecord]) -> dict[str, float]:
    """Reward components, validity, confidence histogram, type mix and cluster sizes."""
    valid = [r for r in records if r.valid]
    out: dict[str, float] = {
        "questions": float(len(records)),
        "valid_frac": len(valid) / len(records) if records else 0.0,
        "reward_mean": _mean([r.reward for r in records]),
        "reward_valid_mean": _mean([r.reward for r in valid]),
        "uncertainty_mean": _mean([r.uncertainty for r in valid]),
        "penalty_mean": _mean([r.penalty for r in records]),
        "confidence_mean": _mean([r.confidence for r in valid]),
        "cluster_size_mean": _mean([float(r.cluster_size) for r in records]),
        "non_answer_frac": _non_answer_frac(r.reasoner_answers for r in records),
    }
    out.update(confidence_histogram((r.majority_count, r.samples) for r in valid))
    out.update(question_type_mix(r.question_type for r in valid if r.question_type is not None))
    out.update(cluster_size_histogram(r.cluster_size for r in records))
    out.update(_reason_counts("invalid", (r.invalid_reason or "" for r in records if not r.valid)))
    return out


def labelling_metrics(labelled: Sequence[LabelledQuestion]) -> dict[str, float]:
    """Kept fraction, drop reasons, confidence histogram and the type mix of generated and kept."""
    valid = [q for q in labelled if q.valid]
    kept = [q for q in labelled if q.kept]
    out: dict[str, float] = {
        "questions": float(len(labelled)),
        "valid_frac": len(valid) / len(labelled) if labelled else 0.0,
        "kept": float(len(kept)),
        "kept_frac": len(kept) / len(labelled) if labelled else 0.0,
        "confidence_mean": _mean([q.confidence for q in valid]),
        "non_answer_frac": _non_answer_frac(q.reasoner_answers for q in labelled),
    }
    out.update(confidence_histogram((q.majority_count, q.samples) for q in valid))
    out.update(question_type_mix(q.question_type for q in valid if q.question_type is not None))
    kept_mix = question_type_mix(q.question_type for q in kept if q.question_type is not None)
    out.update({f"kept_{k}": v for k, v in kept_mix.items()})
    out.update(_reason_counts("dropped", (q.drop_reason or "" for q in labelled if not q.kept)))
    return out


def reasoner_metrics(records: Sequence[AnswerRecord]) -> dict[str, float]:
    """Reward, accuracy against the silver labels, boxed and <think> format rates, and the share
    of questions whose samples all got the same reward (they carry no group-relative signal)."""
    by_question: dict[str, list[float]] = {}
    for r in records:
        by_question.setdefault(r.question_id, []).append(r.reward)
    flat = [len(set(rewards)) == 1 for rewards in by_question.values()]
    return {
        "samples": float(len(records)),
        "questions": float(len(by_question)),
        "reward_mean": _mean([r.reward for r in records]),
        "accuracy_mean": _mean([r.accuracy for r in records]),
        "boxed_frac": _mean([1.0 if r.answer is not None else 0.0 for r in records]),
        "think_format_frac": _mean([1.0 if r.think_format else 0.0 for r in records]),
        "zero_variance_group_frac": _mean([1.0 if f else 0.0 for f in flat]),
    }


def silver_label_agreement(
    before: Mapping[str, str], after: Mapping[str, str], *, timeout_s: float = 5.0
) -> dict[str, float]:
    """How often two iterations' silver labels for the same questions agree (two-way grading).

    Keys are question ids; the recipe gets matching ids by relabelling one iteration's questions
    with the next iteration's reasoner (`relabel_questions`).
    """
    shared = sorted(set(before) & set(after))
    agree = [equivalent(before[k], after[k], timeout_s=timeout_s) for k in shared]
    return {
        "shared": float(len(shared)),
        "agreement": sum(agree) / len(shared) if shared else 0.0,
    }
