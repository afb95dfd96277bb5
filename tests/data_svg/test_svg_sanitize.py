"""sanitize_svg: what is kept, what is stripped, what is refused, and that it never raises."""

import base64
import io
import struct
import time
import xml.etree.ElementTree as ET
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from zeroplay.data.svg import SvgLimits, sanitize_svg, sanitize_svg_document

NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
PNG_1X1 = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="


def svg(body: str, attrs: str = 'width="100" height="50"') -> str:
    return f"<svg {NS} {attrs}>{body}</svg>"


def clean(text: str) -> str:
    result = sanitize_svg(text)
    assert result.ok, result.reason
    return result.value


def body(out: str) -> str:
    """The document after the root's start tag (which declares the namespace URLs)."""
    return out.split(">", 1)[1]


def test_ordinary_chart_survives_with_text_and_internal_references():
    text = svg(
        '<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient>'
        '<marker id="m"><path d="M0 0 L5 5"/></marker></defs>'
        '<rect x="1" y="2" width="30" height="40" fill="url(#g)" style="stroke: blue; stroke-width: 2"/>'
        '<line x1="0" y1="0" x2="10" y2="10" marker-end="url(#m)"/>'
        '<use href="#m" xlink:href="#m"/>'
        '<text x="5" y="45" font-size="12">Q1 &amp; Q2 &lt; 42</text>'
    )
    out = clean(text)
    root = ET.fromstring(out)
    assert root.get("width") == "100" and root.get("height") == "50"
    assert root.get("viewBox") == "0 0 100 50"
    assert 'fill="url(#g)"' in out and 'marker-end="url(#m)"' in out
    assert 'href="#m"' in out and 'xlink:href="#m"' in out
    assert "Q1 &amp; Q2 &lt; 42" in out
    assert "stroke:blue;stroke-width:2" in out


def test_svg_without_namespace_and_with_doctype_is_accepted():
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        '<svg viewBox="0 0 80 60"><circle cx="5" cy="5" r="3"/></svg>'
    )
    out = clean(text)
    assert out.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert "DOCTYPE" not in out and "<circle" in out


def test_scripts_foreign_objects_and_unknown_elements_are_dropped_with_their_subtrees():
    text = svg(
        '<script>fetch("http://example.com")</script>'
        '<foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" src="http://x"/></foreignObject>'
        '<link xmlns="http://www.w3.org/1999/xhtml" rel="stylesheet" href="http://x/a.css"/>'
        '<animate attributeName="x" to="5"/><set attributeName="fill" to="red"/>'
        '<font-face><font-face-src><font-face-uri xlink:href="file:///etc/passwd"/></font-face-src></font-face>'
        '<tref xlink:href="file:///etc/passwd"/>'
        '<rect width="5" height="5" onload="alert(1)" onclick="x()"/>after'
    )
    out = body(clean(text))
    for needle in (
        "script",
        "fetch",
        "foreignObject",
        "iframe",
        "link",
        "animate",
        "<set",
        "font-face",
        "tref",
        "passwd",
        "onload",
        "onclick",
        "http",
    ):
        assert needle not in out, needle
    assert "<rect" in out and "after" in out


def test_external_references_are_removed_and_internal_ones_kept():
    png = PNG_1X1
    text = svg(
        '<image href="file:///etc/passwd" width="5" height="5"/>'
        '<image xlink:href="/etc/passwd" width="5" height="5"/>'
        '<image href="http://127.0.0.1:1/x.png"/>'
        '<image href="../secret.png"/>'
        '<image href="data:image/svg+xml;utf8,&lt;svg/&gt;"/>'
        f'<image href="{png}"/>'
        '<use xlink:href="other.svg#a"/><a href="https://example.com"><text>t</text></a>'
        '<feImage href="file:///x"/>'
    )
    out = body(clean(text))
    for needle in ("file:", "passwd", "http", "secret", "svg+xml", "other.svg", "example"):
        assert needle not in out, needle
    assert f'href="{png}"' in out


def test_css_cannot_load_anything():
    text = svg(
        "<style>@import url(http://127.0.0.1:1/a.css);"
        "@font-face{font-family:x;src:url(file:///etc/fonts/x.ttf)}"
        ".a{fill:url(#g);stroke:u\\72l(file:///etc/passwd)}"
        '.b{fill:red;filter:url("http://x/f.svg#f")}'
        ".c{background:image-set('http://x/1.png' 1x)}</style>"
        '<rect class="a" style="fill:url(file:///etc/passwd);stroke:green" '
        'filter="url(http://x#f)" mask="url(#m)" width="1" height="1"/>'
        '<rect style="fill:u\\72l(http://x/y)" fill="u\\72l(http://x)" width="1" height="1"/>'
    )
    out = body(clean(text))
    for needle in ("import", "font-face", "passwd", "http", "file:", "image-set", "\\"):
        assert needle not in out, needle
    assert ".a{fill:url(#g)}" in out and ".b{fill:red}" in out
    assert 'style="stroke:green"' in out and 'mask="url(#m)"' in out


def test_entities_are_refused():
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;">]>'
        '<svg width="10" height="10"><text>&d;</text></svg>'
    )
    xxe = '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg width="1" height="1">&x;</svg>'
    param = '<!DOCTYPE svg [<!ENTITY % p SYSTEM "http://127.0.0.1:1/p"> %p;]><svg width="1" height="1"/>'
    for text in (laughs, xxe, param):
        result = sanitize_svg(text)
        assert not result.ok and "forbidden XML construct" in result.reason
    undefined = sanitize_svg('<svg width="1" height="1"><text>5&deg;</text></svg>')
    assert not undefined.ok and "undefined entity" in undefined.reason


def test_malformed_empty_and_non_svg_inputs_are_refused():
    cases = {
        "": "empty",
        "   \n\ufeff ": "empty",
        "<svg": "malformed",
        "Here is the chart: <svg></svg>": "malformed",
        "<html><body/></html>": "root element",
        '<svg xmlns="http://www.w3.org/1999/xhtml" width="1" height="1"/>': "root element",
        "<svg><rect></svg>": "malformed",
        "<svg/>": "size is undefined",
    }
    for text, reason in cases.items():
        result = sanitize_svg(text)
        assert not result.ok and reason in result.reason, (text, result.reason)


def test_deep_nesting_and_element_floods_are_refused_quickly():
    deep = "<svg width='9' height='9'>" + "<g>" * 100_000 + "</g>" * 100_000 + "</svg>"
    start = time.perf_counter()
    result = sanitize_svg(deep)
    assert not result.ok and "nesting deeper than 128" in result.reason
    assert time.perf_counter() - start < 5
    flood = "<svg width='9' height='9'>" + "<rect/>" * 60_000 + "</svg>"
    assert "more than 50000 elements" in sanitize_svg(flood).reason
    assert "longer than" in sanitize_svg("<svg>" + " " * 1_000_001 + "</svg>").reason
    assert sanitize_svg("<svg width='9' height='9'>" + "<g>" * 5 + "</g>" * 5 + "</svg>").ok
    tight = SvgLimits(max_depth=3)
    assert not sanitize_svg_document("<svg width='9' height='9'><g><g><g/></g></g></svg>", tight).ok


def test_huge_canvas_is_capped_and_document_reports_its_size():
    document = sanitize_svg_document(
        svg('<rect width="5" height="5"/>', 'width="100000" height="100000"')
    )
    assert document.ok
    assert (document.value.width, document.value.height) == (2048, 2048)
    root = ET.fromstring(document.value.text)
    assert root.get("viewBox") == "0 0 100000 100000"
    assert not sanitize_svg(svg("", 'width="10000" height="10"')).ok  # aspect 1000


def test_sanitizing_is_idempotent():
    once = clean(
        svg('<g style="fill:red"><text x="1" y="2">a &lt; b</text></g><style>.x{fill:blue}</style>')
    )
    assert clean(once) == once


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_any_text(text):
    result = sanitize_svg(text)
    assert result.ok or result.reason


_fragments = st.sampled_from(
    [
        "<svg",
        "<svg width='5' height='5'>",
        "</svg>",
        "<g>",
        "</g>",
        "<style>",
        "</style>",
        "<rect/>",
        "href='",
        "url(",
        "@import",
        "&amp;",
        "&x;",
        "<!DOCTYPE svg [",
        "]>",
        "'",
        '"',
        "\\",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        "<?pi x?>",
        "viewBox='0 0 1 1'",
        ">",
        "{",
        "}",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_fragments, st.text(max_size=5)), max_size=30))
def test_never_raises_on_svg_like_fragments(parts):
    result = sanitize_svg("".join(parts))
    if result.ok:
        root = ET.fromstring(result.value)  # whatever comes out is well-formed XML
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert int(root.get("width")) >= 1 and int(root.get("height")) >= 1


def _data_uri(image: Image.Image, fmt: str, mime: str) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return f"data:{mime};base64," + base64.b64encode(buffer.getvalue()).decode()


def test_embedded_rasters_are_checked_by_their_bytes_not_their_mime_type():
    small = Image.new("RGB", (3, 2), "red")
    kept = [
        _data_uri(small, "PNG", "image/png"),
        _data_uri(small, "JPEG", "image/jpeg"),
        _data_uri(small, "GIF", "image/gif"),
        _data_uri(small, "WEBP", "image/webp"),
        _data_uri(small, "JPEG", "image/png"),  # a real raster under another raster type
    ]
    nested_svg = svg('<use href="#a"/>', 'width="9" height="9"').encode()
    dropped = [
        "data:image/png;base64," + base64.b64encode(nested_svg).decode(),  # SVG posing as PNG
        "data:image/gif;base64," + base64.b64encode(b"GIF89a").decode(),  # a header only
        "data:image/png;base64,!!!!",
    ]
    for uri in kept:
        out = clean(svg(f'<image href="{uri}" width="5" height="5"/>'))
        assert uri in out, uri[:40]
        css = clean(svg(f"<rect style=\"fill:url('{uri}')\"/>"))
        assert uri in css, uri[:40]
    for uri in dropped:
        out = clean(
            svg(f'<image href="{uri}" width="5" height="5"/><rect style="fill:url({uri})"/>')
        )
        assert "data:" not in out, uri[:40]


def test_an_embedded_raster_larger_than_the_canvas_cap_is_dropped():
    # A 64 KB PNG that declares 25000 x 25000 pixels (it aborted the resvg worker).
    header = struct.pack(">IIBBBBB", 25_000, 25_000, 1, 0, 0, 0, 0)
    chunk = struct.pack(">I", len(header)) + b"IHDR" + header
    chunk += struct.pack(">I", zlib.crc32(b"IHDR" + header) & 0xFFFFFFFF)
    png = b"\x89PNG\r\n\x1a\n" + chunk
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    out = clean(svg(f'<image href="{uri}" width="5" height="5"/>'))
    assert "data:" not in out
    fits = _data_uri(Image.new("L", (2048, 2048)), "PNG", "image/png")
    assert fits in clean(svg(f'<image href="{fits}" width="5" height="5"/>'))
    smaller_cap = sanitize_svg(svg(f'<image href="{fits}"/>'), SvgLimits(max_side_px=1024))
    assert smaller_cap.ok and "data:" not in smaller_cap.value


def _filtered(primitives: str, view_box: str = "0 0 2048 2048", uses: int = 1) -> str:
    rects = '<rect width="100%" height="100%" filter="url(#f)"/>' * uses
    return (
        f'<svg {NS} width="2048" height="2048" viewBox="{view_box}">'
        f'<filter id="f">{primitives}</filter>{rects}</svg>'
    )


def test_filter_heavy_svgs_are_refused_at_once():
    refused = {
        '<feTurbulence baseFrequency="0.05" numOctaves="1000"/>': "numOctaves 1000",
        '<feMorphology radius="50"/>': "feMorphology radius of 50 px",
        '<feGaussianBlur stdDeviation="5000"/>': "feGaussianBlur stdDeviation of 5000 px",
        '<feDropShadow stdDeviation="1 900"/>': "feDropShadow stdDeviation of 900 px",
        '<feConvolveMatrix order="40"/>': "feConvolveMatrix order 40",
        '<feOffset dx="1"/>' * 17: "more than 16 filter primitives",
    }
    for primitives, reason in refused.items():
        started = time.perf_counter()
        result = sanitize_svg(_filtered(primitives))
        assert time.perf_counter() - started < 5
        assert not result.ok and reason in result.reason, (primitives[:40], result.reason)
    # A small radius in a tiny viewBox is a large one on the canvas.
    tiny_box = sanitize_svg(_filtered('<feMorphology radius="1"/>', view_box="0 0 20 20"))
    assert not tiny_box.ok and "radius of 102.4 px" in tiny_box.reason
    by_bbox = _filtered('<feGaussianBlur stdDeviation="0.5"/>').replace(
        '<filter id="f">', '<filter id="f" primitiveUnits="objectBoundingBox">'
    )
    assert not sanitize_svg(by_bbox).ok
    many = sanitize_svg(_filtered('<feOffset dx="1"/>', uses=33))
    assert not many.ok and "more than 32 elements use a filter" in many.reason
    shadow = (
        '<feGaussianBlur stdDeviation="3"/><feOffset dx="2" dy="2"/><feBlend in="SourceGraphic"/>'
    )
    assert sanitize_svg(_filtered(shadow, uses=12)).ok
