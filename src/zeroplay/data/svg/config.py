"""Settings of the SVG rendering sandbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from zeroplay.data.svg.limits import SvgLimits

Backend = Literal["resvg", "cairosvg"]
Background = Literal["white", "black"]
StartMethod = Literal["spawn", "forkserver"]


@dataclass(frozen=True)
class SvgRenderConfig:
    """How model-written SVG is rendered: backend, worker pool, per-item limits, background.

    `background="white"` composites transparent pixels onto white. `"black"` reproduces the
    released code (mm_zero.md §3, §11.7): RGBA is converted to RGB by dropping alpha, so a
    transparent background turns black and hides black text.
    `memory_limit_mb` bounds each worker's address space (`RLIMIT_AS`); `timeout_s` is the
    wall-clock budget of one item, after which its worker is killed and replaced.
    `max_items_per_worker` recycles workers so native leaks cannot accumulate.
    """

    backend: Backend = "resvg"
    workers: int = 2
    timeout_s: float = 30.0
    memory_limit_mb: int = 1024
    background: Background = "white"
    limits: SvgLimits = field(default_factory=SvgLimits)
    start_method: StartMethod = "spawn"
    startup_timeout_s: float = 120.0
    max_items_per_worker: int = 500

    def __post_init__(self) -> None:
        if self.backend not in ("resvg", "cairosvg"):
            raise ValueError(f"unknown SVG backend {self.backend!r}")
        if self.background not in ("white", "black"):
            raise ValueError(f"background must be 'white' or 'black', got {self.background!r}")
        if self.start_method not in ("spawn", "forkserver"):
            raise ValueError(
                f"start_method must be 'spawn' or 'forkserver', got {self.start_method!r}"
            )
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")
        if self.timeout_s <= 0 or self.startup_timeout_s <= 0:
            raise ValueError("timeouts must be > 0")
        if self.memory_limit_mb < 64:
            raise ValueError(f"memory_limit_mb must be >= 64, got {self.memory_limit_mb}")
        if self.max_items_per_worker < 1:
            raise ValueError("max_items_per_worker must be >= 1")
