"""The SVG rendering sandbox: a pool of guarded worker processes with per-item timeouts.

A worker that hangs past `timeout_s`, dies (segfault, memory limit) or runs out of memory costs
only the item it was rendering: that item fails with the reason, the worker is replaced and the
batch goes on. There is no batch-level cut-off, so a batch gives the same results whatever the
timing of its neighbours (the released renderer cancelled a timing-dependent tail, §11.16).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path
from types import TracebackType
from typing import Any

from PIL import Image

from zeroplay.data.svg.config import SvgRenderConfig
from zeroplay.data.svg.fonts import fontconfig_text
from zeroplay.data.svg.worker import WorkerSettings, worker_main


@dataclass
class RenderResult:
    """The outcome for one SVG: an RGB image when `ok`, otherwise the reason it failed."""

    ok: bool
    image: Image.Image | None
    reason: str | None
    width: int = 0
    height: int = 0


@dataclass
class _Worker:
    process: Any
    conn: Connection
    ready: bool = False
    started_at: float = 0.0
    served: int = 0
    task: int | None = None
    deadline: float = 0.0


class SvgRenderer:
    """Renders batches of untrusted SVG text in sandboxed worker processes.

    Use as a context manager (`with SvgRenderer(config) as render: render(svgs)`), or call
    `start()` / `close()`. Calling the renderer is the same as `render_many`.
    """

    def __init__(self, config: SvgRenderConfig | None = None) -> None:
        self.config = config or SvgRenderConfig()
        self._context = multiprocessing.get_context(self.config.start_method)
        self._settings = WorkerSettings(
            backend=self.config.backend,
            background=self.config.background,
            limits=self.config.limits,
            memory_limit_mb=self.config.memory_limit_mb,
        )
        self._workers: list[_Worker] = []
        # Holds the workers' fontconfig file and cache while any worker may start.
        self._font_folder: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> SvgRenderer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __call__(self, svgs: Sequence[str]) -> list[RenderResult]:
        return self.render_many(svgs)

    def start(self) -> None:
        """Start the worker processes and wait until each has warmed up."""
        if self._workers:
            return
        self._prepare_fonts()
        self._workers = [self._spawn() for _ in range(self.config.workers)]
        try:
            for worker in self._workers:
                self._await_ready(worker)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop every worker (politely, then by force)."""
        for worker in self._workers:
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
        for worker in self._workers:
            worker.process.join(timeout=2.0)
            self._kill(worker)
        self._workers = []
        if self._font_folder is not None:
            self._font_folder.cleanup()
            self._font_folder = None

    def render_many(self, svgs: Sequence[str]) -> list[RenderResult]:
        """Render each SVG text; results are in input order, failures carry a reason."""
        if not self._workers:
            self.start()
        results: list[RenderResult | None] = [None] * len(svgs)
        queue: deque[int] = deque()
        max_chars = self.config.limits.max_chars
        for index, text in enumerate(svgs):
            if not isinstance(text, str):
                results[index] = RenderResult(False, None, "refused: not a string")
            elif len(text) > max_chars:
                results[index] = RenderResult(
                    False, None, f"refused: SVG text longer than {max_chars} characters"
                )
            else:
                queue.append(index)
        while queue or any(w.task is not None for w in self._workers):
            for worker in self._workers:
                if queue and worker.ready and worker.task is None:
                    self._dispatch(worker, queue.popleft(), svgs)
            self._collect(results)
        return [r if r is not None else RenderResult(False, None, "not rendered") for r in results]

    # --- internals -------------------------------------------------------------------------

    def _prepare_fonts(self) -> None:
        """Write the fontconfig file the cairo workers load (bundled fonts only)."""
        if self.config.backend != "cairosvg" or self._font_folder is not None:
            return
        self._font_folder = tempfile.TemporaryDirectory(prefix="zeroplay-fonts-")
        folder = Path(self._font_folder.name)
        config_file = folder / "fonts.conf"
        config_file.write_text(fontconfig_text(str(folder / "cache")), encoding="utf-8")
        self._settings = replace(self._settings, fontconfig_file=str(config_file))

    def _spawn(self) -> _Worker:
        parent_conn, child_conn = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=worker_main, args=(child_conn, self._settings), daemon=True
        )
        process.start()
        child_conn.close()
        return _Worker(process=process, conn=parent_conn, started_at=time.monotonic())

    def _await_ready(self, worker: _Worker, block: bool = True) -> None:
        """Mark `worker` ready once it says so; raise if it failed, died or took too long.

        With `block=False` a worker that is still warming up is left as it is.
        """
        deadline = worker.started_at + self.config.startup_timeout_s
        timeout = max(deadline - time.monotonic(), 0.0) if block else 0.0
        if worker.conn.poll(timeout):
            try:
                message = worker.conn.recv()
            except (EOFError, OSError):
                message = ("failed", f"exit code {worker.process.exitcode}")
            if message == ("ready",):
                worker.ready = True
                return
            reason = message[1] if isinstance(message, tuple) and len(message) > 1 else message
        elif not worker.process.is_alive():
            reason = f"exit code {worker.process.exitcode}"
        elif time.monotonic() >= deadline:
            reason = f"no answer within {self.config.startup_timeout_s:g} s"
        else:
            return
        self._kill(worker)
        raise RuntimeError(f"SVG render worker failed to start: {reason}")

    def _dispatch(self, worker: _Worker, index: int, svgs: Sequence[str]) -> None:
        worker.task = index
        worker.deadline = time.monotonic() + self.config.timeout_s
        worker.conn.send((index, svgs[index]))

    def _collect(self, results: list[RenderResult | None]) -> None:
        """Wait for the next answer, death or deadline among busy workers and record it."""
        busy = [w for w in self._workers if w.task is not None]
        starting = [w for w in self._workers if not w.ready]
        if not busy and not starting:
            return
        deadlines = [w.deadline for w in busy]
        deadlines += [w.started_at + self.config.startup_timeout_s for w in starting]
        timeout = max(0.0, min(deadlines) - time.monotonic())
        watched = busy + starting
        handles: list[Any] = [w.conn for w in watched] + [w.process.sentinel for w in watched]
        wait(handles, timeout=timeout)
        for worker in starting:
            self._await_ready(worker, block=False)
        now = time.monotonic()
        for worker in busy:
            index = worker.task
            assert index is not None
            if worker.conn.poll():
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    message = None
                if message is not None:
                    results[index] = _result_from(message)
                    worker.task = None
                    worker.served += 1
                    if message[-1]:
                        worker.process.join(timeout=5.0)
            if worker.task is not None and not worker.process.is_alive():
                results[index] = RenderResult(
                    False, None, f"render worker died ({_describe_exit(worker.process.exitcode)})"
                )
                worker.task = None
            elif worker.task is not None and now >= worker.deadline:
                results[index] = RenderResult(
                    False, None, f"render timed out after {self.config.timeout_s:g} s"
                )
                worker.task = None
                self._kill(worker)
            if worker.task is None and (
                not worker.process.is_alive() or worker.served >= self.config.max_items_per_worker
            ):
                self._replace(worker)

    def _replace(self, worker: _Worker) -> None:
        self._kill(worker)
        fresh = self._spawn()
        position = self._workers.index(worker)
        self._workers[position] = fresh

    @staticmethod
    def _kill(worker: _Worker) -> None:
        process = worker.process
        if process.is_alive():
            process.kill()
        process.join(timeout=5.0)
        worker.conn.close()
        worker.ready = False


def _describe_exit(code: int | None) -> str:
    """'killed by SIGSEGV' for a signal, 'exit code 3' otherwise."""
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _result_from(message: tuple[Any, ...]) -> RenderResult:
    _task, ok, width, height, payload, reason, _retiring = message
    if not ok or payload is None:
        return RenderResult(False, None, reason, width, height)
    image = Image.frombytes("RGB", (width, height), payload)
    return RenderResult(True, image, None, width, height)
