"""Choosing a Mitsuba variant. Mitsuba is imported lazily, only where scenes are rendered."""

from __future__ import annotations

import functools
import importlib.util
import subprocess
import sys

# Fastest first. A JIT variant can abort the whole process (an LLVM too old for Dr.Jit dies in
# native code), so each candidate is tried in a child process before this one commits to it.
AUTO_ORDER: tuple[str, ...] = ("cuda_ad_rgb", "llvm_ad_rgb", "scalar_rgb")

_PROBE = """
import mitsuba as mi
mi.set_variant({variant!r})
scene = mi.load_dict({{
    "type": "scene",
    "integrator": {{"type": "path", "max_depth": 2}},
    "sensor": {{"type": "perspective", "film": {{"type": "hdrfilm", "width": 4, "height": 4}}}},
    "shape": {{"type": "sphere", "center": [0, 0, 5]}},
    "light": {{"type": "constant"}},
}})
mi.render(scene, spp=1)
"""


class RenderUnavailable(RuntimeError):
    """Mitsuba is missing or none of the requested variants works on this machine."""


def require_mitsuba() -> None:
    """Fail with one clear line when the `render` extra is not installed."""
    if importlib.util.find_spec("mitsuba") is None:
        raise RenderUnavailable(
            'rendering CLEVR scenes needs Mitsuba 3: pip install "zeroplay[render]"'
        )


@functools.cache
def variant_works(variant: str) -> bool:
    """Render a 4x4 image with `variant` in a child process; True when it exits cleanly."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE.format(variant=variant)],
            capture_output=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def resolve_variant(requested: str = "auto") -> str:
    """`auto` -> the first working variant of AUTO_ORDER; a named variant is checked to exist."""
    require_mitsuba()
    import mitsuba as mi

    available = set(mi.variants())
    if requested != "auto":
        if requested not in available:
            raise RenderUnavailable(
                f"Mitsuba variant {requested!r} is not in this build; available: {sorted(available)}"
            )
        return requested
    for variant in AUTO_ORDER:
        if variant in available and (variant == "scalar_rgb" or variant_works(variant)):
            return variant
    raise RenderUnavailable(f"no usable Mitsuba variant among {AUTO_ORDER}")
