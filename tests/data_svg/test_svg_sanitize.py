"""sanitize_svg: what is kept, what is stripped, what is refused, and that it never raises."""

import time
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from zeroplay.data.svg import SvgLimits, sanitize_svg, sanitize_svg_document

NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


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
    png = "data:image/png;base64,iVBORw0KGgo="
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
