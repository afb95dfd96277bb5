"""The run directory: atomic files, JSONL logs and phase completion markers (DESIGN principle 5)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to a temp file beside `path`, fsync it, then rename it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def write_jsonl(path: str | os.PathLike[str], records: Iterable[dict[str, Any]]) -> None:
    """Write a whole JSONL file atomically."""
    lines = [json.dumps(r, sort_keys=True, default=str) for r in records]
    atomic_write_text(path, "\n".join(lines) + ("\n" if lines else ""))


def read_jsonl(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Records of a JSONL file; a torn last line (a crash mid-append) is ignored."""
    path = Path(path)
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return out


class RunDir:
    """Paths and markers of one run (config, metrics, rollouts, checkpoints, data, phases)."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.jsonl"

    @property
    def rollouts(self) -> Path:
        return self.root / "rollouts"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def phases(self) -> Path:
        return self.root / "phases"

    def create(self) -> RunDir:
        for p in (self.root, self.rollouts, self.checkpoints, self.data, self.phases):
            p.mkdir(parents=True, exist_ok=True)
        return self

    def phase_done(self, name: str) -> bool:
        return (self.phases / f"{name}.done").exists()

    def mark_phase(self, name: str, info: dict[str, Any] | None = None) -> None:
        """Write the completion marker of a phase (after its artifacts)."""
        atomic_write_json(self.phases / f"{name}.done", info or {})
