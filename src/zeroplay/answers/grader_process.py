"""Client side of the grader subprocess: one reusable worker, killed and restarted on timeout.

The worker is a plain `subprocess` (not `multiprocessing`), so it can be started from the main
process, from spawned or daemonic worker processes, and without re-importing anyone's `__main__`.
After a `fork` the child notices that the worker belongs to its parent and starts its own.
"""

from __future__ import annotations

import enum
import json
import os
import select
import subprocess
import sys
import time
import weakref

from zeroplay.answers.grader_worker import READY, SYS_PATH_ENV


class GraderUnavailableError(RuntimeError):
    """The grader process could not start (e.g. its grading library is not installed)."""


class Outcome(enum.Enum):
    """What one request to the worker came to."""

    MATCH = "match"
    NO_MATCH = "no_match"
    TIMEOUT = "timeout"  # the worker was killed; it restarts on the next request
    ERROR = "error"  # the grader raised, or the worker died


def _terminate(process: subprocess.Popen[bytes], owner_pid: int) -> None:
    if os.getpid() != owner_pid:
        return  # a forked child must not stop its parent's worker
    if process.poll() is None:
        process.kill()
    process.wait()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()


class GraderProcess:
    """A lazily started worker that answers `grade(given, gold)` requests with a deadline each.

    `target` is the grading function as "module:function" (it must be importable with this
    process's `sys.path`); `memory_limit_mb` caps the worker's address space (0: no cap).
    """

    def __init__(
        self,
        target: str,
        *,
        memory_limit_mb: int = 4096,
        startup_timeout_s: float = 120.0,
    ) -> None:
        self.target = target
        self.memory_limit_mb = memory_limit_mb
        self.startup_timeout_s = startup_timeout_s
        self.starts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._owner_pid = os.getpid()
        self._buffer = b""
        self._finalizer: weakref.finalize | None = None

    def _start(self) -> None:
        env = dict(os.environ, **{SYS_PATH_ENV: json.dumps([p for p in sys.path if p])})
        command = [
            sys.executable,
            "-m",
            "zeroplay.answers.grader_worker",
            self.target,
            str(self.memory_limit_mb),
        ]
        # A new session keeps terminal signals (Ctrl-C) meant for the parent away from the worker.
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, start_new_session=True
        )
        assert process.stdin is not None and process.stdout is not None
        os.set_blocking(process.stdin.fileno(), False)
        self._process, self._owner_pid, self._buffer = process, os.getpid(), b""
        self._finalizer = weakref.finalize(self, _terminate, process, os.getpid())
        self.starts += 1
        line = self._read_line(time.monotonic() + self.startup_timeout_s)
        if line != READY:
            self.close()
            raise GraderUnavailableError(
                f"grader worker for {self.target!r} did not start (see its stderr above)"
            )

    def _read_line(self, deadline: float) -> bytes | None:
        """One reply line, or None on deadline or end of output."""
        assert self._process is not None and self._process.stdout is not None
        fd = self._process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line + b"\n"

    def _write(self, payload: bytes, deadline: float) -> bool:
        """Write all of `payload` before the deadline; False if the worker stopped reading."""
        assert self._process is not None and self._process.stdin is not None
        fd = self._process.stdin.fileno()
        view = memoryview(payload)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [fd], [], remaining)[1]:
                return False
            try:
                written = os.write(fd, view)
            except (BrokenPipeError, BlockingIOError):
                return False
            view = view[written:]
        return True

    def grade(self, given: str, gold: str, timeout_s: float) -> Outcome:
        """Ask the worker for `grade(given, gold)`; the deadline starts once the worker is up."""
        if self._process is not None and self._owner_pid != os.getpid():
            # Inherited through fork: the worker is the parent's. Forget it without killing it.
            if self._finalizer is not None:
                self._finalizer.detach()
            self._process = None
        if self._process is None or self._process.poll() is not None:
            self.close()
            self._start()
        deadline = time.monotonic() + timeout_s
        request = json.dumps([given, gold]).encode() + b"\n"
        if not self._write(request, deadline):
            timed_out = time.monotonic() >= deadline
            self.close()
            return Outcome.TIMEOUT if timed_out else Outcome.ERROR
        reply = self._read_line(deadline)
        if reply is None:
            timed_out = time.monotonic() >= deadline
            self.close()
            return Outcome.TIMEOUT if timed_out else Outcome.ERROR
        return {b"1\n": Outcome.MATCH, b"0\n": Outcome.NO_MATCH}.get(reply, Outcome.ERROR)

    def close(self) -> None:
        """Stop the worker (if any); the next request starts a fresh one."""
        if self._finalizer is not None:
            self._finalizer()  # runs _terminate once
            self._finalizer = None
        self._process = None
        self._buffer = b""
