"""Benchmark items as the harness sees them, whatever file format they came from.

Images stay as references (a path or encoded bytes) until a batch is generated, so a large
benchmark never holds all its decoded pictures in memory (anchors.md §8.4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# How an answer is scored (see `zeroplay.eval.scoring`).
ANSWER_TYPES: tuple[str, ...] = ("choice", "yesno", "number", "text", "math")


@dataclass(frozen=True)
class ImageRef:
    """One image of an item: a file on disk or encoded bytes (PNG, JPEG, ... as stored)."""

    path: Path | None = None
    data: bytes | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.data is None):
            raise ValueError("an ImageRef holds exactly one of a path or bytes")

    def describe(self) -> str:
        """A short description for records and error messages (never the bytes)."""
        return str(self.path) if self.path is not None else f"<{len(self.data or b'')} bytes>"


@dataclass(frozen=True)
class BenchItem:
    """One question with its ground truth.

    - `answer`: the gold answer; for `choice` items it is the option letter ("A", "B", ...).
    - `choices`: option texts in letter order (empty unless `answer_type == "choice"`).
    - `accept`: further answers graded as correct (synonyms), compared like `answer`.
    - `tolerance`: relative tolerance for `number` items; None uses the run's setting.
    - `hint`: context shown before the question (VLMEvalKit's `hint` column).
    - `category`: a group name for per-category accuracy ("" when none).
    - `meta`: anything else from the file, kept in the records untouched.
    """

    id: str
    question: str
    answer: str
    answer_type: str
    images: tuple[ImageRef, ...] = ()
    choices: tuple[str, ...] = ()
    accept: tuple[str, ...] = ()
    tolerance: float | None = None
    hint: str = ""
    category: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.answer_type not in ANSWER_TYPES:
            raise ValueError(f"unknown answer type {self.answer_type!r}; expected {ANSWER_TYPES}")
        if self.answer_type == "choice" and not self.choices:
            raise ValueError(f"item {self.id!r}: a choice item needs choices")


@dataclass(frozen=True)
class Benchmark:
    """A named list of items with unique ids, and the file it was read from."""

    name: str
    items: tuple[BenchItem, ...]
    source: str
    format: str

    def __len__(self) -> int:
        return len(self.items)
