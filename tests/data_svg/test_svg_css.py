"""CSS sanitizing: nothing in a stylesheet, style attribute or presentation attribute loads."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeroplay.data.svg.css import (
    attribute_value_is_safe,
    is_internal_reference,
    sanitize_declarations,
    sanitize_stylesheet,
)


def test_internal_references():
    assert is_internal_reference("#grad")
    assert is_internal_reference("  #a ")
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
    assert is_internal_reference(f"data:image/png;base64,{png}")
    assert is_internal_reference(f"DATA:IMAGE/JPEG;BASE64,{png}")  # the bytes decide
    assert not is_internal_reference("data:image/png;base64,iVBORw0KGgo=")  # a signature only
    assert not is_internal_reference("data:image/svg+xml;base64,PHN2Zz4=")
    assert not is_internal_reference("data:text/css,body{}")
    assert not is_internal_reference("file:///etc/passwd")
    assert not is_internal_reference("x.svg#a")
    assert not is_internal_reference("")


def test_stylesheet_keeps_plain_rules_and_drops_loading_ones():
    css = (
        "@import 'x.css'; .a { fill: red; stroke: url(#g) } "
        "@media print { .a { fill: url(http://x) } } "
        ".b { fill: url('file:///etc/passwd'); stroke-width: 2 } "
        "@font-face { font-family: f; src: url(f.ttf) } "
        ".c { cursor: u\\72l(http://x), auto; opacity: .5 }"
    )
    assert (
        sanitize_stylesheet(css)
        == ".a{fill:red;stroke:url(#g)}\n.b{stroke-width:2}\n.c{opacity:.5}"
    )


def test_declarations_keep_important_and_drop_unsafe():
    assert (
        sanitize_declarations("fill: red !important; filter: url(x.svg#f)") == "fill:red !important"
    )
    assert sanitize_declarations("@import 'a'; fill: blue") == "fill:blue"
    assert sanitize_declarations("mask: url( '#m' )") == 'mask:url( "#m" )'
    assert sanitize_declarations("background: image-set('a.png' 1x)") == ""


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("red", True),
        ("translate(10, 20) rotate(45)", True),
        ("url(#g)", True),
        ("url( '#g' )", True),
        ("url(http://x/y)", False),
        ("URL(file:///etc/passwd)", False),
        ("u\\72l(http://x)", False),
        ("src(http://x)", False),
        ("image(a.png)", False),
        ("a picture of an image", True),
    ],
)
def test_attribute_values(value, safe):
    assert attribute_value_is_safe(value) is safe


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_css_functions_never_raise(text):
    sanitize_stylesheet(text)
    sanitize_declarations(text)
    attribute_value_is_safe(text)
