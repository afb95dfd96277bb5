"""Small HTML builders that escape every value they are given.

Everything a model wrote (clues, questions, answers, SVG code) and everything a run directory
holds is untrusted text: it only reaches the page through `esc`, which escapes `& < > " '`.
Builders return HTML strings; only strings that come out of another builder are inserted raw.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

# Longest text kept at all; the rest is cut with a note (the run directory has the full text).
MAX_TEXT_CHARS = 20_000


def clip_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """`text` cut to `limit` characters, with a note saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[... {len(text) - limit} more characters not shown]"


# Control characters (tab, newline and carriage return excepted) and lone surrogates: invalid
# in HTML or unencodable as UTF-8, and models do emit them. Each becomes U+FFFD.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(text: str) -> str:
    return html.escape(_UNPRINTABLE.sub("\ufffd", text), quote=True)


def esc(value: Any) -> str:
    """`value` as text, cut to MAX_TEXT_CHARS, with HTML special characters (quotes included)
    escaped and unprintable characters replaced."""
    return _escape(clip_text("" if value is None else str(value)))


def fmt(value: Any, digits: int = 3) -> str:
    """A number with `digits` significant decimals, ints as ints, None as an em dash (escaped)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return esc(value)
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.{digits}g}" if abs(value) < 1e-3 else f"{value:.{digits}f}"
    return esc(value)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def tag(name: str, body: str = "", **attrs: Any) -> str:
    """`<name attrs>body</name>`; attribute values are escaped (never cut: they carry data
    URIs), `body` must already be HTML.

    A trailing underscore in an attribute name is dropped (`class_` -> `class`) and other
    underscores become dashes (`data_kind` -> `data-kind`); `True` writes a bare attribute.
    """
    parts = [name]
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        attr = key.rstrip("_").replace("_", "-")
        parts.append(attr if value is True else f'{attr}="{_escape(str(value))}"')
    return f"<{' '.join(parts)}>{body}</{name}>"


def text_block(text: Any, css: str = "text") -> str:
    """Preformatted, escaped text (whitespace kept, long lines wrapped by CSS)."""
    return tag("pre", esc(text), class_=css)


def folded(summary: str, body: str, open_: bool = False) -> str:
    """A <details> block: `summary` is plain text (escaped), `body` is HTML."""
    return tag("details", tag("summary", esc(summary)) + body, open=open_)


def folded_text(summary: str, text: Any) -> str:
    """Long model text folded away behind a one-line summary."""
    return folded(summary, text_block(text))


def table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], css: str = "grid", caption: str = ""
) -> str:
    """A table; `headers` are plain text (escaped), cells are HTML (use `esc`/`fmt` on values)."""
    head = tag("tr", "".join(tag("th", esc(h)) for h in headers))
    body = "".join(tag("tr", "".join(tag("td", cell) for cell in row)) for row in rows)
    cap = tag("caption", esc(caption)) if caption else ""
    return tag("table", cap + tag("thead", head) + tag("tbody", body), class_=css)


def key_value_table(pairs: Iterable[tuple[str, str]], css: str = "kv") -> str:
    """Two columns: plain-text names, HTML values."""
    rows = "".join(tag("tr", tag("th", esc(k)) + tag("td", v)) for k, v in pairs)
    return tag("table", tag("tbody", rows), class_=css)


def badge(text: str, kind: str = "") -> str:
    """A small coloured label (`kind` picks the colour: good, bad, warn, spy, civ)."""
    return tag("span", esc(text), class_=f"badge {kind}".strip())


def note(text: str) -> str:
    return tag("p", esc(text), class_="note")


def section(anchor: str, title: str, body: str) -> str:
    return tag("section", tag("h2", esc(title)) + body, id=anchor)


def json_block(value: Any) -> str:
    """A JSON value pretty-printed and escaped (for records the report does not know)."""
    return text_block(json.dumps(value, indent=2, sort_keys=True, default=str), css="text json")


def image_tag(data_uri: str, alt: str, css: str = "") -> str:
    """An <img> for a `data:` URI made by this package (never a path or a URL from a file)."""
    if not data_uri.startswith("data:image/"):
        raise ValueError("image_tag only embeds data:image URIs")
    return tag("img", src=data_uri, alt=alt, class_=css or None).replace("></img>", ">")


def figure(body: str, caption: str, css: str | None = None) -> str:
    """A <figure> with a plain-text caption (escaped)."""
    return tag("figure", body + tag("figcaption", esc(caption)), class_=css)
