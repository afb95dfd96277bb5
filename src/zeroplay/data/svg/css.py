"""CSS inside SVG (`<style>` text, `style=` and presentation attributes) with nothing that loads.

CSS can reach outside the document through `url()` / `src()` targets, image functions and at-rules
(`@import`, `@font-face`). Escapes can hide a `url` (`u\\72l(...)`), so the text is tokenized
with tinycss2 (the CSS parser cairosvg itself uses), checked token by token, and re-serialized in
canonical form: what the renderer parses is exactly what was checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import tinycss2
from tinycss2 import ast

from zeroplay.data.svg.fonts import with_generic_fallback
from zeroplay.data.svg.raster import raster_data_uri_problem

# Functions that fetch or embed a resource by reference, beyond `url()`.
_LOADING_FUNCTIONS = frozenset(
    {"src", "image", "image-set", "-webkit-image-set", "cross-fade", "element", "paint"}
)
# Allowed data: URIs: self-contained raster images only (an embedded SVG would be parsed by the
# renderer without passing through this sanitizer). The form is checked here, the bytes and
# the size by `raster_data_uri_problem`.
_SAFE_DATA_URI = re.compile(
    r"^data:image/(?:png|jpeg|jpg|gif|webp);base64,[A-Za-z0-9+/=\s]*$", re.I
)
# Pixels an embedded raster may have by default: the default canvas cap (2048 x 2048).
DEFAULT_MAX_RASTER_PIXELS = 2048 * 2048
# Final canonical-text check: every url( must point inside the document.
_URL_CALL = re.compile(r"url\(\s*(['\"]?)\s*([^'\")\s]*)", re.I)


def is_internal_reference(target: str, max_raster_pixels: int = DEFAULT_MAX_RASTER_PIXELS) -> bool:
    """True for a same-document reference (`#id`) or a self-contained raster data URI whose
    bytes are a PNG, JPEG, GIF or WebP image of at most `max_raster_pixels` pixels."""
    target = target.strip()
    if target.startswith("#"):
        return True
    if not _SAFE_DATA_URI.match(target):
        return False
    return raster_data_uri_problem(target, max_raster_pixels) is None


def _tokens_are_safe(tokens: Iterable[ast.Node], max_raster_pixels: int) -> bool:
    """No token loads anything outside the document (recursing into blocks and functions)."""
    for token in tokens:
        if token.type == "url":
            if not is_internal_reference(token.value, max_raster_pixels):
                return False
        elif token.type == "function":
            name = token.lower_name
            if name in _LOADING_FUNCTIONS:
                return False
            if name == "url":
                strings = [t for t in token.arguments if t.type not in ("whitespace", "comment")]
                if len(strings) != 1 or strings[0].type != "string":
                    return False
                if not is_internal_reference(strings[0].value, max_raster_pixels):
                    return False
            elif not _tokens_are_safe(token.arguments, max_raster_pixels):
                return False
        elif token.type in ("() block", "[] block", "{} block"):
            if not _tokens_are_safe(token.content, max_raster_pixels):
                return False
        elif token.type == "at-keyword":
            return False
    return True


def _canonical_text_is_safe(text: str, max_raster_pixels: int) -> bool:
    """Second line of defence on the serialized text: no escapes, no outside url() target."""
    if "\\" in text or "@" in text:
        return False
    return all(
        is_internal_reference(m.group(2), max_raster_pixels) for m in _URL_CALL.finditer(text)
    )


def sanitize_declarations(text: str, max_raster_pixels: int = DEFAULT_MAX_RASTER_PIXELS) -> str:
    """A `style=` attribute value with every unsafe declaration (and any at-rule) removed."""
    kept: list[str] = []
    for item in tinycss2.parse_blocks_contents(text, skip_comments=True, skip_whitespace=True):
        if item.type != "declaration" or not _tokens_are_safe(item.value, max_raster_pixels):
            continue
        value = tinycss2.serialize(item.value).strip()
        if item.lower_name == "font-family":
            value = with_generic_fallback(value)
        serialized = f"{item.name}:{value}"
        if item.important:
            serialized += " !important"
        if _canonical_text_is_safe(serialized, max_raster_pixels):
            kept.append(serialized)
    return ";".join(kept)


def sanitize_stylesheet(text: str, max_raster_pixels: int = DEFAULT_MAX_RASTER_PIXELS) -> str:
    """A `<style>` element's text without at-rules, with unsafe declarations removed per rule."""
    out: list[str] = []
    for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
        if rule.type != "qualified-rule" or not _tokens_are_safe(rule.prelude, max_raster_pixels):
            continue
        selector = tinycss2.serialize(rule.prelude).strip()
        body = sanitize_declarations(tinycss2.serialize(rule.content), max_raster_pixels)
        candidate = f"{selector}{{{body}}}"
        if _canonical_text_is_safe(candidate, max_raster_pixels):
            out.append(candidate)
    return "\n".join(out)


def attribute_value_is_safe(value: str, max_raster_pixels: int = DEFAULT_MAX_RASTER_PIXELS) -> bool:
    """A presentation attribute value (fill, filter, mask, ...) loads nothing from outside.

    Fast path: without the letters of `url`/`src`/`image` and without escapes, no CSS token in
    the value can load anything.
    """
    lowered = value.lower()
    if "\\" not in value and not any(word in lowered for word in ("url", "src", "image", "@")):
        return True
    tokens = tinycss2.parse_component_value_list(value, skip_comments=True)
    return _tokens_are_safe(tokens, max_raster_pixels) and _canonical_text_is_safe(
        tinycss2.serialize(tokens), max_raster_pixels
    )
