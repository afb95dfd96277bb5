"""Benchmark the SVG sandbox backends (resvg vs cairosvg) on chart-like SVGs.

Prints items/s through `SvgRenderer` (sanitize + render + RGB conversion in guarded workers) and
the in-process cost of each step, on a deterministic corpus of bar, line, pie, table and diagram
SVGs of the kind MM-Zero's CodeGen writes (800 x 600 viewBox, many `<text>` labels).

    python benchmarks/svg_render.py --items 200 --workers 2
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import time

from zeroplay.data.svg import SvgRenderConfig, SvgRenderer, sanitize_svg
from zeroplay.data.svg.backends import render_png, to_rgb
from zeroplay.data.svg.sanitize import sanitize_svg_document

_COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1"]
_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 600">'
_BG = '<rect width="800" height="600" fill="white"/>'


def _text(x: float, y: float, s: str, size: int = 14, anchor: str = "middle") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-family="sans-serif" '
        f'text-anchor="{anchor}">{s}</text>'
    )


def bar_chart(rng: random.Random) -> str:
    n_groups, n_series = rng.randint(4, 8), rng.randint(2, 3)
    parts = [_HEAD, _BG, _text(400, 30, "Quarterly output by plant", 18)]
    parts.append('<line x1="80" y1="520" x2="760" y2="520" stroke="black"/>')
    parts.append('<line x1="80" y1="80" x2="80" y2="520" stroke="black"/>')
    for t in range(6):
        y = 520 - t * 80
        parts.append(f'<line x1="75" y1="{y}" x2="760" y2="{y}" stroke="#ddd"/>')
        parts.append(_text(70, y + 5, str(t * 20), 12, "end"))
    width = 680 / n_groups
    for g in range(n_groups):
        for s in range(n_series):
            value = rng.randint(5, 100)
            x = 80 + g * width + 8 + s * (width - 16) / n_series
            h = value * 4.4
            parts.append(
                f'<rect x="{x:.1f}" y="{520 - h:.1f}" width="{(width - 16) / n_series - 2:.1f}" '
                f'height="{h:.1f}" fill="{_COLORS[s]}"/>'
            )
            parts.append(_text(x + 10, 515 - h, str(value), 12))
        parts.append(_text(80 + g * width + width / 2, 540, f"P{g + 1}", 13))
    parts.append("</svg>")
    return "".join(parts)


def line_chart(rng: random.Random) -> str:
    parts = [_HEAD, _BG, _text(400, 30, "Monthly river level (cm)", 18)]
    for s in range(rng.randint(2, 4)):
        points = " ".join(
            f"{80 + i * 60},{300 + 150 * math.sin(i / 2 + s) + rng.uniform(-30, 30):.1f}"
            for i in range(12)
        )
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{_COLORS[s]}" stroke-width="2"/>'
        )
        for i, pt in enumerate(points.split()):
            x, y = pt.split(",")
            parts.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{_COLORS[s]}"/>')
            if i % 3 == 0:
                parts.append(_text(float(x), float(y) - 8, f"{float(y) / 10:.0f}", 11))
    parts.append('<path d="M80 520 L760 520 M80 520 L80 80" stroke="black" fill="none"/>')
    parts.append("</svg>")
    return "".join(parts)


def pie_chart(rng: random.Random) -> str:
    values = [rng.randint(5, 40) for _ in range(rng.randint(3, 7))]
    total, angle = sum(values), 0.0
    parts = [_HEAD, _BG, _text(400, 40, "Energy mix", 18)]
    for i, v in enumerate(values):
        a0, a1 = angle, angle + 2 * math.pi * v / total
        angle = a1
        x0, y0 = 400 + 200 * math.cos(a0), 320 + 200 * math.sin(a0)
        x1, y1 = 400 + 200 * math.cos(a1), 320 + 200 * math.sin(a1)
        large = 1 if a1 - a0 > math.pi else 0
        parts.append(
            f'<path d="M400 320 L{x0:.1f} {y0:.1f} A200 200 0 {large} 1 {x1:.1f} {y1:.1f} Z" '
            f'fill="{_COLORS[i % len(_COLORS)]}" stroke="white"/>'
        )
        mid = (a0 + a1) / 2
        parts.append(
            _text(
                400 + 240 * math.cos(mid), 320 + 240 * math.sin(mid), f"{100 * v / total:.1f}%", 13
            )
        )
    parts.append("</svg>")
    return "".join(parts)


def table(rng: random.Random) -> str:
    parts = [_HEAD, _BG, "<style>.h{font-weight:bold;fill:#222}.c{fill:#333}</style>"]
    for r in range(8):
        for c in range(5):
            x, y = 60 + c * 140, 60 + r * 60
            fill = "#eef" if r == 0 else ("#fff" if r % 2 else "#f7f7f7")
            parts.append(
                f'<rect x="{x}" y="{y}" width="140" height="60" fill="{fill}" stroke="#999"/>'
            )
            label = f"Col {c}" if r == 0 else str(rng.randint(0, 999))
            parts.append(
                f'<text class="{"h" if r == 0 else "c"}" x="{x + 70}" y="{y + 36}" font-size="14" text-anchor="middle">{label}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def diagram(rng: random.Random) -> str:
    parts = [
        _HEAD,
        _BG,
        '<defs><marker id="arrow" markerWidth="10" markerHeight="10" refX="9" refY="3" orient="auto"><path d="M0,0 L9,3 L0,6 Z" fill="#333"/></marker></defs>',
    ]
    nodes = [(rng.randint(60, 700), rng.randint(60, 520)) for _ in range(rng.randint(5, 9))]
    for (x0, y0), (x1, y1) in itertools.pairwise(nodes):
        parts.append(
            f'<line x1="{x0 + 50}" y1="{y0 + 20}" x2="{x1 + 50}" y2="{y1 + 20}" stroke="#333" marker-end="url(#arrow)"/>'
        )
    for i, (x, y) in enumerate(nodes):
        parts.append(
            f'<rect x="{x}" y="{y}" width="100" height="40" rx="8" fill="{_COLORS[i % 7]}" opacity="0.85"/>'
        )
        parts.append(_text(x + 50, y + 25, f"Step {i + 1}", 14))
    parts.append("</svg>")
    return "".join(parts)


def corpus(items: int, seed: int = 0) -> list[str]:
    """`items` chart-like SVGs, cycling through the five kinds."""
    rng = random.Random(seed)
    makers = [bar_chart, line_chart, pie_chart, table, diagram]
    return [makers[i % len(makers)](rng) for i in range(items)]


def in_process_costs(svgs: list[str], backend: str) -> tuple[float, float]:
    """Mean ms per item for sanitizing, and for render + RGB conversion, in this process."""
    t0 = time.perf_counter()
    docs = [sanitize_svg_document(s).value for s in svgs]
    t1 = time.perf_counter()
    for doc in docs:
        assert doc is not None
        to_rgb(render_png(doc.text, doc.width, doc.height, backend), "white")  # type: ignore[arg-type]
    t2 = time.perf_counter()
    return 1000 * (t1 - t0) / len(svgs), 1000 * (t2 - t1) / len(svgs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    svgs = corpus(args.items)
    assert all(sanitize_svg(s).ok for s in svgs)
    print(f"corpus: {len(svgs)} SVGs, mean {sum(map(len, svgs)) / len(svgs):.0f} chars")
    rates: dict[str, float] = {}
    for backend in ("resvg", "cairosvg"):
        sanitize_ms, render_ms = in_process_costs(svgs[: min(50, len(svgs))], backend)
        config = SvgRenderConfig(backend=backend, workers=args.workers)  # type: ignore[arg-type]
        with SvgRenderer(config) as renderer:
            renderer(svgs[: args.workers * 2])  # warm the pool
            start = time.perf_counter()
            results = renderer(svgs)
            elapsed = time.perf_counter() - start
        ok = sum(r.ok for r in results)
        rates[backend] = len(svgs) / elapsed
        print(
            f"{backend:9s} sandbox: {rates[backend]:6.1f} items/s ({args.workers} workers, "
            f"{ok}/{len(svgs)} ok) | in-process: sanitize {sanitize_ms:.1f} ms, "
            f"render+rgb {render_ms:.1f} ms per item"
        )
    print(f"resvg / cairosvg throughput ratio: {rates['resvg'] / rates['cairosvg']:.2f}")


if __name__ == "__main__":
    main()
