"""Shared pieces of the synthetic suites: their options and how a suite is written to disk.

A suite `NAME.jsonl` is an ordinary JSONL benchmark. Its images and the specs they were drawn
from (CLEVR scene JSON, chart specs) sit in the folder `NAME_files/` beside it and are named by
relative paths, so the pair can be moved or copied together. The JSONL is written last, through
a temporary file, so its presence means the suite is complete.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zeroplay.data.layout import write_bytes_atomic

SUITE_FORMAT_VERSION = 1
Progress = Callable[[int], None]


@dataclass(frozen=True)
class SuiteOptions:
    """How to generate a suite.

    - `n`: number of items; `seed`: the suite is a pure function of (name, options);
    - `width`/`height`: image size (None: the generator's default); `spp` and `variant`:
      Mitsuba settings for rendered scenes (small values keep tests fast);
    - `questions_per_image`: questions asked about each scene or chart (spot-the-difference
      asks one per pair).
    """

    n: int = 200
    seed: int = 0
    width: int | None = None
    height: int | None = None
    spp: int = 16
    variant: str = "auto"
    questions_per_image: int = 4

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError("a suite needs at least one item (--n)")
        if self.questions_per_image < 1:
            raise ValueError("questions per image must be at least 1")
        if self.spp < 1:
            raise ValueError("spp must be at least 1")


def files_dir(out: Path) -> Path:
    """The folder of a suite's images and specs: `NAME_files/` next to `NAME.jsonl`."""
    return out.with_name(f"{out.stem}_files")


def start_suite(out: Path) -> Path:
    """Create an empty files folder for a new suite at `out` (replacing an old one)."""
    if out.suffix != ".jsonl":
        raise ValueError(f"a suite is written as .jsonl, not {out.name!r}")
    folder = files_dir(out)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def relative(path: Path, out: Path) -> str:
    """`path` relative to the suite file's folder, with forward slashes."""
    return path.relative_to(out.parent).as_posix()


def write_suite(out: Path, items: list[dict[str, Any]]) -> None:
    """Write the JSONL (after its files), atomically, one item per line."""
    text = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    write_bytes_atomic(out, text.encode("utf-8"))


def suite_meta(name: str, options: SuiteOptions, **extra: Any) -> dict[str, Any]:
    """Metadata every item of a suite carries (which suite, seed and format made it)."""
    return {"suite": name, "seed": options.seed, "suite_version": SUITE_FORMAT_VERSION, **extra}


def distinct_questions(
    families: Mapping[str, Callable[[Any, Any], Any]], subject: Any, rng: Any, k: int
) -> list[Any]:
    """Up to `k` questions with distinct texts about `subject`, from different families while
    families last (each family is `ask(subject, rng) -> question with .text, or None`)."""
    names = list(families)
    questions: list[Any] = []
    texts: set[str] = set()
    for _ in range(8):  # a small subject may allow fewer than k distinct questions
        for position in rng.permutation(len(names)):
            if len(questions) >= k:
                return questions
            question = families[names[int(position)]](subject, rng)
            if question is not None and question.text not in texts:
                questions.append(question)
                texts.add(question.text)
    return questions[:k]
