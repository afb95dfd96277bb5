"""The grader subprocess: `python -m zeroplay.answers.grader_worker TARGET MEMORY_MB`.

It imports the grading function TARGET ("module:function"), prints `ready`, then answers one JSON
request `[given, gold]` per stdin line with `1`, `0` or `e` (the grader raised) on its own line.
It runs in its own process so that a comparison that hangs (sympy on a pathological expression,
visplay.md §9.1) can be killed, and under an address-space limit so one that explodes cannot take
the machine's memory. It exits when stdin closes or its parent disappears.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable

# Extra import paths of the parent process (JSON list), so an injected TARGET can be found.
SYS_PATH_ENV = "ZEROPLAY_GRADER_SYS_PATH"
READY = b"ready\n"


def load_target(spec: str) -> Callable[[str, str], object]:
    """Import the function named by "package.module:function"."""
    module_name, _, function_name = spec.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, function_name)


def quiet_latex_parser() -> None:
    """Silence pylatexenc's per-call warnings ("macro '\\frac' failed its substitution!").

    MathRuler's normaliser parses every answer with pylatexenc, which logs a warning for each
    malformed macro it meets; model answers are full of them, and they flooded the parent's
    stderr. Errors still show.
    """
    logging.getLogger("pylatexenc").setLevel(logging.ERROR)


def _limit_memory(megabytes: int) -> None:
    if megabytes <= 0:
        return
    import resource

    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _exit_with_parent(parent_pid: int) -> None:
    """Leave as soon as the parent is gone, even in the middle of a long comparison."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent_pid:
            os._exit(0)


def serve(grade: Callable[[str, str], object], requests, replies) -> None:
    """Answer requests (binary lines) until end of input."""
    for line in requests:
        try:
            given, gold = json.loads(line)
            reply = b"1\n" if grade(given, gold) else b"0\n"
        except Exception:
            reply = b"e\n"
        replies.write(reply)
        replies.flush()


def main(argv: list[str]) -> int:
    target, memory_mb = argv[1], int(argv[2])
    parent_pid = os.getppid()
    # Keep the protocol channel private: anything the grader prints goes to stderr instead.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    extra_paths = json.loads(os.environ.get(SYS_PATH_ENV, "[]"))
    sys.path.extend(path for path in extra_paths if path not in sys.path)
    _limit_memory(memory_mb)
    quiet_latex_parser()
    grade = load_target(target)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    replies.write(READY)
    replies.flush()
    serve(grade, sys.stdin.buffer, replies)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
