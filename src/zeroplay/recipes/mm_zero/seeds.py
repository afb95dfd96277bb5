"""MM-Zero's seeds: functions of names (run seed, phase, step), never carried state.

A step's engine samples, a phase's trainer and a restarted Solver all take seeds derived from
their names, so a resumed run does exactly what an uninterrupted one did, whichever phase it
stopped in.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any


def step_rng_states(seed: int, phase: str, step: int, count: int) -> list[Any]:
    """`random.Random` states for the engine's `count` samplers at one step of one phase.

    Re-seeding the engine at every step makes a step's samples a function of the weights and
    the step's name only, so a resumed run samples exactly what an uninterrupted one did,
    whichever phase it stopped in. (String seeds are hashed with SHA-512, not `hash()`.)
    """
    return [random.Random(f"mm_zero:{seed}:{phase}:{step}:{k}").getstate() for k in range(count)]


def derived_seed(*parts: Any) -> int:
    """A 63-bit seed from names (stable across processes, unlike `hash()`)."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1
