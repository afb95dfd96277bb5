"""Metrics: one JSON line per optimizer step, summaries of samples by role and stage."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from zeroplay.rl.rundir import read_jsonl, write_jsonl
from zeroplay.rl.samples import Sample

# Keys that depend on wall time; everything else is reproducible run to run.
TIMING_KEYS = ("seconds", "tokens_per_s", "samples_per_s", "time_")


def is_timing_key(key: str) -> bool:
    return any(t in key for t in TIMING_KEYS)


class MetricsLog:
    """Appends records to `metrics.jsonl` (flushed and fsynced per record).

    `forward`, when given, also receives every appended record (e.g. accelerate's trackers:
    TensorBoard, W&B; see `zeroplay.runtime.start.tracker_forwarder`).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        forward: Callable[[dict[str, Any]], None] | None = None,
    ):
        self.path = Path(path)
        self.forward = forward

    def truncate_after(self, step: int) -> None:
        """Drop records of steps after `step` (they belong to work a resume will redo)."""
        kept = [r for r in read_jsonl(self.path) if r.get("step", -1) <= step]
        write_jsonl(self.path, kept)

    def append(self, record: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, sort_keys=True, default=float) + "\n")
            f.flush()
            os.fsync(f.fileno())
        if self.forward is not None:
            self.forward(record)

    def records(self) -> list[dict[str, Any]]:
        return read_jsonl(self.path)


def sample_metrics(samples: Sequence[Sample]) -> dict[str, float]:
    """Rewards, advantages and completion lengths by role and by stage, plus overall counts."""
    out: dict[str, float] = {}
    if not samples:
        return out
    groups: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        groups[f"role/{s.role}"].append(s)
        groups[f"stage/{s.stage}"].append(s)
    for key, items in sorted(groups.items()):
        n = len(items)
        out[f"{key}/reward_mean"] = sum(s.reward for s in items) / n
        out[f"{key}/advantage_mean"] = sum(s.advantage for s in items) / n
        out[f"{key}/completion_len"] = sum(s.num_completion_tokens for s in items) / n
        out[f"{key}/count"] = float(n)
    out["samples"] = float(len(samples))
    out["completion_tokens"] = float(sum(s.num_completion_tokens for s in samples))
    out["truncated_frac"] = sum(s.finish_reason == "length" for s in samples) / len(samples)
    return out


def flatten(tree: Mapping[str, Any], prefix: str = "", sep: str = "/") -> dict[str, Any]:
    """Nested mappings as one level of `a{sep}b` keys (lists and scalars kept as they are)."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{prefix}{key}{sep}", sep))
        else:
            out[f"{prefix}{key}"] = value
    return out
