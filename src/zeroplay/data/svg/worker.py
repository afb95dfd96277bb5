"""The render worker process: sanitize, render and convert one SVG at a time.

Protocol over a `multiprocessing` connection. The worker sends `("ready",)` (or
`("failed", reason)`) after start-up, then answers each `(task_id, text)` with
`(task_id, ok, width, height, rgb_bytes, reason, retiring)`; `None` asks it to exit.
`retiring` is True when the worker exits after this answer (after an allocation failure). Start-up imports the
backend and renders a tiny SVG before the guard is installed, so no lazy import needs a file
later. Before anything loads fontconfig, `FONTCONFIG_FILE` is pointed at the renderer's
generated configuration, so cairo sees only the bundled fonts (`zeroplay.data.svg.fonts`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection

from zeroplay.data.svg.backends import render_png, to_rgb
from zeroplay.data.svg.config import Backend, Background
from zeroplay.data.svg.guard import apply_memory_limit, default_readable_roots, install_guard
from zeroplay.data.svg.limits import SvgLimits
from zeroplay.data.svg.sanitize import sanitize_svg_document

_WARM_UP_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">'
    '<rect width="4" height="4" fill="red"/><text x="1" y="7" font-size="6">a</text></svg>'
)

# (ok, width, height, rgb bytes or None, reason or None)
Outcome = tuple[bool, int, int, bytes | None, str | None]


@dataclass(frozen=True)
class WorkerSettings:
    """What a worker needs to know; pickled to the child at start."""

    backend: Backend
    background: Background
    limits: SvgLimits
    memory_limit_mb: int
    fontconfig_file: str | None = None


def render_one(text: str, settings: WorkerSettings) -> Outcome:
    """Sanitize and render one SVG into RGB bytes; every failure becomes a reason."""
    cleaned = sanitize_svg_document(text, settings.limits)
    if not cleaned.ok or cleaned.value is None:
        return False, 0, 0, None, f"refused: {cleaned.reason}"
    document = cleaned.value
    try:
        png = render_png(document.text, document.width, document.height, settings.backend)
        image = to_rgb(png, settings.background)
    except MemoryError:
        raise
    except Exception as error:
        message = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
        return False, 0, 0, None, f"render failed: {type(error).__name__}: {message}".rstrip(": ")
    w, h = image.size
    if w < 1 or h < 1:
        return False, w, h, None, "rendered image has a zero side"
    if max(w, h) > settings.limits.max_side_px:
        return False, w, h, None, f"rendered image {w}x{h} exceeds {settings.limits.max_side_px} px"
    if max(w, h) / min(w, h) > settings.limits.max_aspect_ratio:
        return (
            False,
            w,
            h,
            None,
            f"rendered image aspect ratio above {settings.limits.max_aspect_ratio:g}",
        )
    return True, w, h, image.tobytes(), None


def worker_main(conn: Connection, settings: WorkerSettings) -> None:
    """Entry point of a spawned worker: limit, warm up, guard, then serve until told to stop."""
    try:
        if settings.fontconfig_file is not None:
            os.environ["FONTCONFIG_FILE"] = settings.fontconfig_file
        apply_memory_limit(settings.memory_limit_mb)
        warm = render_one(_WARM_UP_SVG, replace(settings, limits=SvgLimits()))
        if not warm[0]:
            raise RuntimeError(f"warm-up render failed: {warm[4]}")
        install_guard(default_readable_roots())
    except BaseException as error:
        conn.send(("failed", f"{type(error).__name__}: {error}"))
        return
    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        task_id, text = message
        try:
            outcome = render_one(text, settings)
        except MemoryError:
            # Native state may be inconsistent after an allocation failure: report and exit.
            conn.send((task_id, False, 0, 0, None, "out of memory (worker memory limit)", True))
            return
        except RecursionError:
            outcome = (False, 0, 0, None, "render failed: recursion too deep")
        conn.send((task_id, *outcome, False))
