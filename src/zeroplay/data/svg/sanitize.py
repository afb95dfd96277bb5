"""Turn model-written SVG text into a self-contained SVG document, or refuse it with a reason.

The text is parsed with defusedxml (entity declarations and external entities are refused; a
DOCTYPE without them is allowed, it is common in model output and loads nothing), then rebuilt
from an allow-list: only drawing elements of the SVG namespace survive; `<script>`,
`<foreignObject>`, animation, SVG fonts and anything unknown are dropped with their subtree;
links may only point inside the document (`#id`) or at inline raster data URIs; CSS is
re-serialized by `zeroplay.data.svg.css`. Comments and processing instructions (e.g.
`<?xml-stylesheet?>`) never reach the output. The root gets an explicit, capped pixel size.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from zeroplay.answers.parsed import Parsed
from zeroplay.data.svg.css import (
    attribute_value_is_safe,
    is_internal_reference,
    sanitize_declarations,
    sanitize_stylesheet,
)
from zeroplay.data.svg.filters import filter_problem
from zeroplay.data.svg.fonts import with_generic_fallback
from zeroplay.data.svg.limits import SvgLimits
from zeroplay.data.svg.size import canvas_size

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# Elements that draw, group, reference or style inside the document (SVG 1.1 and 2).
ALLOWED_ELEMENTS = frozenset(
    {
        *("svg", "g", "defs", "symbol", "use", "switch", "a", "title", "desc"),
        *("rect", "circle", "ellipse", "line", "polyline", "polygon", "path"),
        *("text", "tspan", "textPath", "image", "marker", "pattern", "clipPath", "mask"),
        *("linearGradient", "radialGradient", "stop", "style", "view", "filter"),
        *("feBlend", "feColorMatrix", "feComponentTransfer", "feComposite", "feConvolveMatrix"),
        *("feDiffuseLighting", "feDisplacementMap", "feDistantLight", "feDropShadow", "feFlood"),
        *("feFuncA", "feFuncB", "feFuncG", "feFuncR", "feGaussianBlur", "feImage", "feMerge"),
        *("feMergeNode", "feMorphology", "feOffset", "fePointLight", "feSpecularLighting"),
        *("feSpotLight", "feTile", "feTurbulence"),
    }
)
_HREF_NAMES = frozenset({"href", f"{{{XLINK_NS}}}href"})
_ALLOWED_XML_ATTRS = frozenset({f"{{{XML_NS}}}space", f"{{{XML_NS}}}lang"})
_ROOT_SIZE_ATTRS = frozenset({"width", "height", "viewBox"})
_LEADING_JUNK = re.compile(r"^[\ufeff\s]+")


def _local_name(tag: str) -> str | None:
    """The local name of an element in the SVG namespace (or no namespace), else None."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return local if namespace == SVG_NS else None
    return tag


def _clean_attributes(attrib: dict[str, str], max_raster_pixels: int) -> list[tuple[str, str]]:
    """Attributes that stay, with their serialized names; unsafe ones are dropped (an image
    reference too, when it is not a raster of at most `max_raster_pixels` pixels)."""
    kept: list[tuple[str, str]] = []
    for name, value in attrib.items():
        if name in _HREF_NAMES:
            if is_internal_reference(value, max_raster_pixels):
                kept.append(("xlink:href" if name.startswith("{") else "href", value.strip()))
            continue
        if name.startswith("{"):
            if name in _ALLOWED_XML_ATTRS:
                kept.append(("xml:" + name.rsplit("}", 1)[1], value))
            continue
        lowered = name.lower()
        if lowered.startswith("on") or lowered in ("src", "xmlns"):
            continue
        if lowered == "style":
            cleaned = sanitize_declarations(value, max_raster_pixels)
            if cleaned:
                kept.append((name, cleaned))
            continue
        if attribute_value_is_safe(value, max_raster_pixels):
            kept.append((name, with_generic_fallback(value) if lowered == "font-family" else value))
    return kept


def _measure(root: ET.Element, limits: SvgLimits) -> str | None:
    """Why the tree is too deep or too large, or None (iterative: deep trees cannot recurse)."""
    stack = [(root, 1)]
    count = 0
    while stack:
        element, depth = stack.pop()
        count += 1
        if depth > limits.max_depth:
            return f"nesting deeper than {limits.max_depth} elements"
        if count > limits.max_elements:
            return f"more than {limits.max_elements} elements"
        stack.extend((child, depth + 1) for child in element)
    return None


def _serialize(root: ET.Element, root_attrs: list[tuple[str, str]], max_raster_pixels: int) -> str:
    """Write the allowed part of the tree as SVG text (iteratively, with explicit namespaces)."""
    parts: list[str] = []
    # Stack entries: ("open", element, is_root) or ("close", tag, tail-owner).
    stack: list[tuple[str, ET.Element, bool]] = [("open", root, True)]
    while stack:
        action, element, is_root = stack.pop()
        if action == "close":
            parts.append(f"</{_local_name(element.tag)}>")
            if not is_root and element.tail:
                parts.append(escape(element.tail))
            continue
        local = _local_name(element.tag) if isinstance(element.tag, str) else None
        if local is None or local not in ALLOWED_ELEMENTS:
            # Drop the element and its subtree, keep the text that follows it.
            if not is_root and element.tail:
                parts.append(escape(element.tail))
            continue
        attrs = (
            root_attrs if is_root else _clean_attributes(dict(element.attrib), max_raster_pixels)
        )
        rendered_attrs = "".join(f" {name}={quoteattr(value)}" for name, value in attrs)
        parts.append(f"<{local}{rendered_attrs}>")
        if local == "style":
            stylesheet = sanitize_stylesheet("".join(element.itertext()), max_raster_pixels)
            parts.append(escape(stylesheet))
            stack.append(("close", element, is_root))
            continue
        if element.text:
            parts.append(escape(element.text))
        stack.append(("close", element, is_root))
        stack.extend(("open", child, False) for child in reversed(list(element)))
    return "".join(parts)


@dataclass(frozen=True)
class SanitizedSvg:
    """A sanitized SVG document and the pixel size written into its root."""

    text: str
    width: int
    height: int


def sanitize_svg(text: str, limits: SvgLimits | None = None) -> Parsed[str]:
    """A safe, self-contained, explicitly sized SVG document, or invalid with the reason.

    Never raises on any string. The output root carries `width`/`height` in px (capped by
    `limits.max_side_px`) and a `viewBox`, so every renderer draws the same canvas.
    """
    document = sanitize_svg_document(text, limits)
    if not document.ok or document.value is None:
        return Parsed.invalid(document.reason or "refused")
    return Parsed.valid(document.value.text)


def sanitize_svg_document(text: str, limits: SvgLimits | None = None) -> Parsed[SanitizedSvg]:
    """Like `sanitize_svg`, also returning the canvas size the renderer must produce."""
    limits = limits or SvgLimits()
    if not isinstance(text, str):
        return Parsed.invalid("not a string")
    if len(text) > limits.max_chars:
        return Parsed.invalid(f"SVG text longer than {limits.max_chars} characters")
    text = _LEADING_JUNK.sub("", text)
    if not text:
        return Parsed.invalid("empty SVG text")
    try:
        root = SafeET.fromstring(text, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        return Parsed.invalid(f"forbidden XML construct: {type(error).__name__}")
    except ET.ParseError as error:
        return Parsed.invalid(f"malformed XML: {error}")
    except (ValueError, RecursionError, MemoryError) as error:
        return Parsed.invalid(f"unparsable XML: {type(error).__name__}")
    if _local_name(root.tag) != "svg":
        return Parsed.invalid(f"root element is not <svg> (got {root.tag!r})")
    problem = _measure(root, limits)
    if problem is not None:
        return Parsed.invalid(problem)
    size = canvas_size(root.get("width"), root.get("height"), root.get("viewBox"), limits)
    if not size.ok or size.value is None:
        return Parsed.invalid(size.reason or "SVG size is undefined")
    canvas = size.value
    problem = filter_problem(root, canvas, limits)
    if problem is not None:
        return Parsed.invalid(problem)
    max_raster_pixels = limits.max_side_px**2
    root_attrs = [("xmlns", SVG_NS), ("xmlns:xlink", XLINK_NS)]
    root_attrs += [
        (name, value)
        for name, value in _clean_attributes(dict(root.attrib), max_raster_pixels)
        if name not in _ROOT_SIZE_ATTRS
    ]
    root_attrs += [
        ("width", str(canvas.width)),
        ("height", str(canvas.height)),
        ("viewBox", " ".join(f"{v:.10g}" for v in canvas.view_box)),
    ]
    text = _serialize(root, root_attrs, max_raster_pixels)
    return Parsed.valid(SanitizedSvg(text, canvas.width, canvas.height))
