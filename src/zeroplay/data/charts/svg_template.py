"""A bar chart spec as plain SVG: the kind of code an MM-Zero CodeGen is asked to write.

One fixed layout (a 320 x 240 view box: title, axes, one bar per category with its value above
and its label below), integer coordinates, the spec's own colours. It is short and regular on
purpose: the toy's warm start learns the CodeGen's output format from it.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from zeroplay.data.charts.spec import ChartSpec

WIDTH, HEIGHT = 320, 240
LEFT, RIGHT, TOP, BOTTOM = 40, 310, 40, 200  # plot area


def bar_chart_svg(spec: ChartSpec) -> str:
    """The SVG of a single-series bar chart spec (`chart_type` "bar")."""
    if spec.chart_type != "bar" or len(spec.series) != 1:
        raise ValueError("bar_chart_svg draws single-series bar charts only")
    values = spec.series[0].values
    top = spec.value_limits[1] if spec.value_limits else max(values)
    step = (RIGHT - LEFT) / len(values)
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH // 2}" y="22" font-size="14" text-anchor="middle">'
        f"{escape(spec.title)}</text>",
        f'<line x1="{LEFT}" y1="{BOTTOM}" x2="{RIGHT}" y2="{BOTTOM}" stroke="black"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{BOTTOM}" stroke="black"/>',
    ]
    for i, (category, value) in enumerate(zip(spec.categories, values, strict=True)):
        height = round((BOTTOM - TOP) * max(0.0, value) / top) if top > 0 else 0
        x = round(LEFT + i * step + step * 0.2)
        centre = round(LEFT + (i + 0.5) * step)
        lines += [
            f'<rect x="{x}" y="{BOTTOM - height}" width="{round(step * 0.6)}" '
            f'height="{height}" fill="{spec.series[0].color}"/>',
            f'<text x="{centre}" y="{BOTTOM - height - 4}" font-size="12" '
            f'text-anchor="middle">{value:.{spec.decimals}f}</text>',
            f'<text x="{centre}" y="{BOTTOM + 16}" font-size="12" '
            f'text-anchor="middle">{escape(category)}</text>',
        ]
    lines.append("</svg>")
    return "\n".join(lines)
