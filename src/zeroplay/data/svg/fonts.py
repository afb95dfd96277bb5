"""The fonts the SVG sandbox renders text with: DejaVu from matplotlib, never the system's.

Model-written SVG names fonts like "Arial" or "sans-serif". A machine without those (a slim
container has no fonts at all) made resvg skip the text silently. Both backends therefore use
only the fonts bundled with matplotlib (a core dependency), so text renders the same on every
machine: resvg gets the font directory and the generic families; cairosvg (cairo, fontconfig)
gets a generated fontconfig file that lists the same directory and maps the generic families
and common font names to DejaVu.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

SANS = "DejaVu Sans"
SERIF = "DejaVu Serif"
MONO = "DejaVu Sans Mono"

# Generic CSS family each common font name stands for (lower-case keys).
_GENERIC_OF = {
    "arial": "sans-serif",
    "helvetica": "sans-serif",
    "helvetica neue": "sans-serif",
    "verdana": "sans-serif",
    "tahoma": "sans-serif",
    "calibri": "sans-serif",
    "segoe ui": "sans-serif",
    "roboto": "sans-serif",
    "open sans": "sans-serif",
    "liberation sans": "sans-serif",
    "system-ui": "sans-serif",
    "cursive": "sans-serif",
    "fantasy": "sans-serif",
    "times new roman": "serif",
    "times": "serif",
    "georgia": "serif",
    "cambria": "serif",
    "liberation serif": "serif",
    "courier": "monospace",
    "courier new": "monospace",
    "consolas": "monospace",
    "menlo": "monospace",
    "monaco": "monospace",
    "liberation mono": "monospace",
}
_DEJAVU_OF_GENERIC = {"sans-serif": SANS, "serif": SERIF, "monospace": MONO}
_GENERICS = frozenset({"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"})


@cache
def font_dir() -> str:
    """matplotlib's bundled TrueType directory (found without importing matplotlib)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib is not installed; the SVG renderer needs its fonts")
    path = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    if not (path / "DejaVuSans.ttf").is_file():
        raise RuntimeError(f"matplotlib's DejaVu fonts are missing from {path}")
    return str(path)


def resvg_font_options() -> dict[str, object]:
    """Keyword arguments for `resvg_py.svg_to_bytes`: bundled fonts only, generics mapped."""
    return {
        "skip_system_fonts": True,
        "font_dirs": [font_dir()],
        "font_family": SANS,
        "sans_serif_family": SANS,
        "serif_family": SERIF,
        "monospace_family": MONO,
        "cursive_family": SANS,
        "fantasy_family": SANS,
    }


def fontconfig_text(cache_dir: str) -> str:
    """A fontconfig configuration that sees only the bundled fonts, with aliases to DejaVu.

    No system configuration is included, so no system font is ever picked. The final rule
    appends DejaVu Sans to every request, so an unknown family falls back to it rather than
    to a symbol font from the same directory.
    """
    aliases = {name: _DEJAVU_OF_GENERIC.get(generic, SANS) for name, generic in _GENERIC_OF.items()}
    aliases.update(_DEJAVU_OF_GENERIC)
    lines = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">',
        "<fontconfig>",
        f"  <dir>{escape(font_dir())}</dir>",
        f"  <cachedir>{escape(cache_dir)}</cachedir>",
    ]
    for name, target in sorted(aliases.items()):
        lines.append(
            f'  <alias binding="same"><family>{escape(name)}</family>'
            f"<prefer><family>{target}</family></prefer></alias>"
        )
    lines += [
        '  <match target="pattern"><edit name="family" mode="append_last">'
        f"<string>{SANS}</string></edit></match>",
        "</fontconfig>",
        "",
    ]
    return "\n".join(lines)


def with_generic_fallback(families: str) -> str:
    """A `font-family` list with the generic family its known names stand for appended.

    resvg falls back to the serif family for any name it lacks; "Arial" should look like
    a sans-serif font, so "Arial" becomes "Arial,sans-serif". Lists that already name a
    generic family, or only unknown names, are returned unchanged.
    """
    names = [part.strip().strip("\"'").strip().lower() for part in families.split(",")]
    if any(name in _GENERICS for name in names):
        return families
    for name in names:
        generic = _GENERIC_OF.get(name)
        if generic is not None:
            return f"{families.rstrip()},{generic}"
    return families
