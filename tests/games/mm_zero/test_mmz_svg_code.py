"""SVG extraction order and equivalence with the note's regular expressions."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from zeroplay.games.mm_zero.svg_code import extract_svg_code, looks_like_svg

SVG = '<svg viewBox="0 0 8 6"><rect/></svg>'


def reference_extract(text: str) -> str:
    """The extraction order of note §2.2, as regular expressions (slow but obviously right)."""
    match = re.search(r"```svg\s*\n(.*?)```", text, re.DOTALL)
    if match:
        return match.group(1).strip()
    match = re.search(r"```xml\s*\n(.*?)```", text, re.DOTALL)
    if match and "<svg" in match.group(1):
        return match.group(1).strip()
    match = re.search(r"(<svg[\s\S]*?</svg>)", text, re.IGNORECASE)
    return match.group(1).strip() if match else ""


def test_svg_fence_wins():
    text = f"Here:\n```xml\n{SVG}\n```\n```svg  \n  {SVG}\n```"
    assert extract_svg_code(text) == SVG


def test_svg_fence_needs_a_newline():
    assert extract_svg_code(f"```svg {SVG}```") == SVG  # falls through to the raw <svg> rule
    assert extract_svg_code("```svg no newline```") == ""


def test_xml_fence_needs_svg_inside():
    assert extract_svg_code(f"```xml\n{SVG}\n```") == SVG
    assert extract_svg_code("```xml\n<note/>\n```") == ""


def test_raw_svg_is_case_insensitive_and_shortest():
    text = f"text <SVG width='1'></SVG> more {SVG}"
    assert extract_svg_code(text) == "<SVG width='1'></SVG>"


def test_nothing_found():
    assert extract_svg_code("I cannot draw that.") == ""
    assert extract_svg_code("```svg\n<svg>unclosed") == ""  # truncated reply


def test_looks_like_svg():
    assert looks_like_svg("  <svg/>")
    assert looks_like_svg("<?xml version='1.0'?>")
    assert looks_like_svg("text then <svg")
    assert not looks_like_svg("print('hello')")
    assert not looks_like_svg("")


_pieces = st.sampled_from(
    ["```", "```svg", "```xml", "\n", " ", "\t", "<svg>", "</svg>", "<SVG", "</SVG>", "x", "<"]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_pieces, max_size=25))
def test_matches_the_reference_regexes(pieces):
    text = "".join(pieces)
    assert extract_svg_code(text) == reference_extract(text)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_never_raises(text):
    assert isinstance(extract_svg_code(text), str)
