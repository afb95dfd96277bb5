"""Grading functions with scripted failures, run inside the grader worker by the grading tests."""

from __future__ import annotations

import os
import time


def exact_or_misbehave(given: str, gold: str) -> bool:
    """Exact equality, except that `given` names a failure to act out: sleep, raise, exit, print."""
    if given == "sleep":
        time.sleep(600)
    if given == "raise":
        raise ValueError("scripted grader failure")
    if given == "exit":
        os._exit(3)
    if given == "print":
        print("noise on stdout must not break the protocol")
    return given == gold
