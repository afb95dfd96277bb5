"""A typed parse result: a value, or invalid with a reason. Parsers never raise on model text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """Outcome of parsing model output: `value` when `ok`, otherwise `reason` says why not."""

    value: T | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None

    @classmethod
    def valid(cls, value: T) -> Parsed[T]:
        return cls(value=value, reason=None)

    @classmethod
    def invalid(cls, reason: str) -> Parsed[T]:
        return cls(value=None, reason=reason)
