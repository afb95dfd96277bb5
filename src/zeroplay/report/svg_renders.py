"""Renders of MM-Zero SVG code for replays whose records name no stored image.

Records keep the SVG code, so the report can draw it again. The code is model-written, so it
goes through the same sandbox as training (`zeroplay.data.svg.SvgRenderer`: sanitizer, worker
processes with time and memory limits); only the few SVGs of the shown episodes are rendered.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

# One worker is enough for a dozen replays, and keeps the report light on a shared machine.
RENDER_WORKERS = 1
RENDER_TIMEOUT_S = 20.0


def render_svgs(codes: Sequence[str], problems: list[str]) -> dict[str, Image.Image | None]:
    """code -> RGB image (None when it does not render); {} when the sandbox cannot start."""
    unique = list(dict.fromkeys(c for c in codes if c))
    if not unique:
        return {}
    try:
        from zeroplay.data.svg import SvgRenderConfig, SvgRenderer

        config = SvgRenderConfig(workers=RENDER_WORKERS, timeout_s=RENDER_TIMEOUT_S)
        with SvgRenderer(config) as render:
            results = render(unique)
    except (ImportError, RuntimeError, OSError) as error:
        problems.append(f"SVG renders skipped: the render sandbox is unavailable ({error})")
        return {}
    return {code: r.image if r.ok else None for code, r in zip(unique, results, strict=True)}
