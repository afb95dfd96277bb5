"""Numeric curves out of `metrics.jsonl` records, found by key patterns.

Recipes prefix trainer and game keys with a policy or phase name (`solver/kl_mean`,
`label/kept_frac`), so panels match keys by regular expression and label each line with the
parts of the key the pattern captured.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Matches an empty prefix or one ending in "/" (so "kl_mean" does not match "xkl_mean").
PREFIX = r"^((?:.*/)?)"


@dataclass(frozen=True)
class Series:
    label: str
    steps: tuple[float, ...]
    values: tuple[float, ...]


def number(value: Any) -> float | None:
    """`value` as a finite float, or None (strings, NaN, infinities, lists are not numbers)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def step_of(record: Mapping[str, Any], index: int) -> float:
    """The record's `step`, or its position when it has none."""
    step = number(record.get("step"))
    return step if step is not None else float(index)


def label_from_match(match: re.Match[str], fallback: str) -> str:
    """The captured parts of a key joined with "/", or `fallback` when they are all empty."""
    parts = [g.strip("/") for g in match.groups() if g and g.strip("/")]
    return "/".join(parts) or fallback


def matching_series(
    records: Sequence[Mapping[str, Any]], pattern: str, fallback: str = "value"
) -> list[Series]:
    """One series per distinct key that matches `pattern`, in order of first appearance."""
    regex = re.compile(pattern)
    points: dict[str, list[tuple[float, float]]] = {}
    labels: dict[str, str] = {}
    for index, record in enumerate(records):
        x = step_of(record, index)
        for key, raw in record.items():
            value = number(raw)
            if value is None:
                continue
            if key not in labels:
                match = regex.match(key)
                labels[key] = label_from_match(match, fallback) if match else ""
            if labels[key]:
                points.setdefault(key, []).append((x, value))
    out = []
    for key, pts in points.items():
        pts.sort(key=lambda p: p[0])
        out.append(Series(labels[key], tuple(p[0] for p in pts), tuple(p[1] for p in pts)))
    return out


def find_key(tree: Any, name: str) -> Any:
    """The first value stored under key `name` anywhere in a nested mapping (depth first)."""
    if isinstance(tree, Mapping):
        if name in tree:
            return tree[name]
        for value in tree.values():
            found = find_key(value, name)
            if found is not None:
                return found
    return None
