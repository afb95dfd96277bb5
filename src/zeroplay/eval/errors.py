"""The one error type of benchmark loading: its message is a single line that names the problem."""

from __future__ import annotations

from collections.abc import Iterable


class BenchmarkError(ValueError):
    """A benchmark file or name cannot be used (missing, malformed, duplicate ids, ...)."""


def check_unique_ids(ids: Iterable[str], source: str) -> None:
    """Raise `BenchmarkError` naming the first id that occurs twice in `source`."""
    seen: set[str] = set()
    for item_id in ids:
        if item_id in seen:
            raise BenchmarkError(f"{source}: duplicate id {item_id!r}; ids must be unique")
        seen.add(item_id)
