"""MM-Zero's seeds: functions of names (run seed, phase, step), never carried state.

A step's requests (`recipe._Loop.step_engine`), a phase's trainer and a restarted Solver all
take seeds derived from their names, so a resumed run does exactly what an uninterrupted one
did, whichever phase it stopped in.
"""

from __future__ import annotations

import hashlib
from typing import Any


def derived_seed(*parts: Any) -> int:
    """A 63-bit seed from names (stable across processes, unlike `hash()`)."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1
