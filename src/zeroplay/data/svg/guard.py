"""Process-level limits for a render worker: address-space cap and an audit hook.

This is the second line of defence behind `sanitize_svg`: even if a reference slipped through,
Python-level code in the worker (cairosvg, PIL) cannot open files outside the Python
installation, open sockets or start processes. Native code (resvg, cairo) is not audited; it only
ever sees sanitized text.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any

_DENIED_EVENTS = frozenset(
    {
        "urllib.Request",
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "ftplib.connect",
        "http.client.connect",
        "smtplib.connect",
        "webbrowser.open",
    }
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _address_space_bytes() -> int:
    """This process's current virtual size (0 where /proc is unavailable)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def apply_memory_limit(memory_limit_mb: int) -> None:
    """Cap this process's address space at its current size plus `memory_limit_mb`, and disable
    core dumps (POSIX only; no-op elsewhere).

    Relative, not absolute: a spawned worker re-imports its parent's `__main__` (which may have
    imported torch and reserved gigabytes of address space), and an absolute cap would then stop
    the renderer's own shared libraries from loading.
    """
    try:
        import resource
    except ImportError:
        return
    limit = _address_space_bytes() + memory_limit_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))


def default_readable_roots() -> list[str]:
    """Directories a worker may read after start-up: the Python installation and zeroplay."""
    import zeroplay

    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    roots.add(os.path.dirname(os.path.abspath(zeroplay.__file__)))
    return sorted(r for r in roots if r and os.path.realpath(r) != os.sep)


def install_guard(readable_roots: Iterable[str]) -> None:
    """Deny sockets, process creation and file opens outside `readable_roots` (read-only).

    Audit hooks cannot be removed, so call this only in a dedicated worker process.
    """
    prefixes = tuple(os.path.join(os.path.realpath(r), "") for r in readable_roots)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = (*tuple(args), None, None, None)[:3]
            if isinstance(path, int):
                return
            if isinstance(mode, str) and any(c in mode for c in "wax+"):
                raise PermissionError(f"render sandbox: write access to {path!r} denied")
            if isinstance(flags, int) and flags & _WRITE_FLAGS:
                raise PermissionError(f"render sandbox: write access to {path!r} denied")
            try:
                real = os.path.realpath(os.fsdecode(path))
            except (TypeError, ValueError) as error:
                raise PermissionError("render sandbox: unreadable path") from error
            if not real.startswith(prefixes):
                raise PermissionError(f"render sandbox: reading {real!r} denied")
        elif event == "urllib.Request" and str(args[0] if args else "").startswith("data:"):
            return  # inline data URIs are decoded in memory (cairosvg fetches them via urllib)
        elif event.startswith("socket.") or event in _DENIED_EVENTS:
            raise PermissionError(f"render sandbox: {event} denied")

    sys.addaudithook(hook)
