"""Accuracy summaries of a list of item records: overall, per answer type, per category, judge."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from zeroplay.eval.records import ItemRecord


def _accuracy(correct: int, total: int) -> float | None:
    return correct / total if total else None


def _group(records: Sequence[ItemRecord], key: Callable[[ItemRecord], str]) -> dict[str, Any]:
    groups: dict[str, list[ItemRecord]] = {}
    for record in records:
        groups.setdefault(key(record), []).append(record)
    out = {}
    for name in sorted(groups):
        members = groups[name]
        correct = sum(r.correct for r in members)
        out[name] = {
            "n": len(members),
            "correct": correct,
            "accuracy": _accuracy(correct, len(members)),
        }
    return out


def judge_summary(records: Sequence[ItemRecord]) -> dict[str, Any] | None:
    """Judge accuracy over all items (an unreadable verdict counts as wrong), the number of
    unreadable verdicts, and how often the judge agrees with the rules where it gave one."""
    judged = [r for r in records if r.judge is not None]
    if not judged:
        return None
    correct = sum(1 for r in judged if r.judge is not None and r.judge.correct is True)
    readable = [r for r in judged if r.judge is not None and r.judge.correct is not None]
    agree = sum(1 for r in readable if r.judge is not None and r.judge.correct == r.correct)
    return {
        "n": len(judged),
        "correct": correct,
        "accuracy": _accuracy(correct, len(judged)),
        "invalid": len(judged) - len(readable),
        "agreement_with_rules": _accuracy(agree, len(readable)),
    }


def summarize(records: Sequence[ItemRecord]) -> dict[str, Any]:
    """The summary block of a results file (accuracies are fractions in [0, 1], None if empty)."""
    n = len(records)
    correct = sum(r.correct for r in records)
    methods: dict[str, int] = {}
    for record in records:
        method = record.extraction or "none"
        methods[method] = methods.get(method, 0) + 1
    summary: dict[str, Any] = {
        "n": n,
        "correct": correct,
        "accuracy": _accuracy(correct, n),
        "no_answer": sum(1 for r in records if r.extracted is None and r.error is None),
        "errors": sum(1 for r in records if r.error is not None),
        "truncated": sum(1 for r in records if r.finish_reason == "length"),
        "extraction": dict(sorted(methods.items())),
        "by_type": _group(records, lambda r: r.answer_type),
        "by_category": _group(records, lambda r: r.category)
        if any(r.category for r in records)
        else {},
        "judge": judge_summary(records),
    }
    return summary
