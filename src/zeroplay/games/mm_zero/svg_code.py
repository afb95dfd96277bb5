"""Finding the SVG in a CodeGen reply, in the released code's order (note §2.2).

1. a ```svg fence (whitespace ending in a newline after the fence word), up to the next ```;
2. else the first ```xml fence, if it contains `<svg`;
3. else the first raw `<svg ... </svg>`, case-insensitive;
4. else "" (nothing found).
Implemented with plain string scans: linear in the reply length, never raises.
"""

from __future__ import annotations

import re

_FENCE = "```"
_LEADING_SPACE = re.compile(r"\s*")


def _fenced_block(text: str, language: str) -> str | None:
    """Body of the first "```language<ws>\\n ... ```" block, as `\\s*\\n(.*?)```` would find it."""
    marker = _FENCE + language
    position = text.find(marker)
    while position >= 0:
        after = position + len(marker)
        space_end = _LEADING_SPACE.match(text, after).end()  # type: ignore[union-attr]
        newline = text.rfind("\n", after, space_end)
        if newline >= 0:
            close = text.find(_FENCE, newline + 1)
            if close >= 0:
                return text[newline + 1 : close]
            return None  # no closing fence anywhere after this point
        position = text.find(marker, after)
    return None


def _raw_svg(text: str) -> str | None:
    """The first `<svg ... </svg>` (case-insensitive, shortest)."""
    start = re.search(r"<svg", text, re.IGNORECASE)
    if start is None:
        return None
    end = re.compile(r"</svg>", re.IGNORECASE).search(text, start.end())
    return text[start.start() : end.end()] if end is not None else None


def extract_svg_code(text: str) -> str:
    """The SVG code of a CodeGen reply, stripped; "" when none is found."""
    block = _fenced_block(text, "svg")
    if block is None:
        xml = _fenced_block(text, "xml")
        block = xml if xml is not None and "<svg" in xml else None
    if block is None:
        block = _raw_svg(text)
    return (block or "").strip()


def looks_like_svg(code: str) -> bool:
    """The released reward's type check: starts with `<` or contains `<svg` (note §4.2)."""
    stripped = code.strip()
    return stripped.startswith("<") or "<svg" in stripped.lower()
