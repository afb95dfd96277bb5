"""Canvas size decisions: units, viewBox fallbacks, capping and aspect-ratio refusal."""

import pytest

from zeroplay.data.svg.limits import SvgLimits
from zeroplay.data.svg.size import canvas_size, parse_length, parse_view_box


@pytest.mark.parametrize(
    ("text", "px"),
    [
        ("800", 800.0),
        ("800px", 800.0),
        (" 12.5 ", 12.5),
        ("72pt", 96.0),
        ("1in", 96.0),
        ("2.54cm", 96.0),
        ("25.4mm", 96.0),
        ("1pc", 16.0),
        ("1e2", 100.0),
        ("100%", None),
        ("10em", None),
        ("abc", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_length(text, px):
    assert parse_length(text) == (pytest.approx(px) if px is not None else None)


def test_parse_view_box():
    assert parse_view_box("0 0 800 600") == (0.0, 0.0, 800.0, 600.0)
    assert parse_view_box("-10,-20, 30 40") == (-10.0, -20.0, 30.0, 40.0)
    assert parse_view_box("0 0 0 600") is None  # zero width
    assert parse_view_box("0 0 800") is None
    assert parse_view_box("a b c d") is None
    assert parse_view_box(None) is None


LIMITS = SvgLimits()


def test_width_and_height_win_over_view_box():
    size = canvas_size("400", "300", "0 0 800 600", LIMITS).value
    assert (size.width, size.height, size.view_box) == (400, 300, (0.0, 0.0, 800.0, 600.0))


def test_view_box_alone_gives_the_size():
    size = canvas_size(None, "100%", "0 0 800 600", LIMITS).value
    assert (size.width, size.height) == (800, 600)


def test_one_side_and_view_box_keep_the_aspect():
    # width 400, viewBox aspect 600/800 -> height 300.
    size = canvas_size("400", None, "0 0 800 600", LIMITS).value
    assert (size.width, size.height) == (400, 300)
    size = canvas_size(None, "150", "0 0 800 600", LIMITS).value
    assert (size.width, size.height) == (200, 150)


def test_no_size_is_refused():
    assert not canvas_size(None, None, None, LIMITS).ok
    assert not canvas_size("400", None, None, LIMITS).ok
    assert "undefined" in canvas_size("100%", "100%", None, LIMITS).reason


def test_large_canvas_is_scaled_to_the_cap_and_gets_a_view_box():
    size = canvas_size("100000", "50000", None, LIMITS).value
    # scale = 2048 / 100000 -> 2048 x 1024; user units stay those of the intrinsic size.
    assert (size.width, size.height) == (2048, 1024)
    assert size.view_box == (0.0, 0.0, 100000.0, 50000.0)
    small = canvas_size("3000", "1500", None, SvgLimits(max_side_px=1000)).value
    assert (small.width, small.height) == (1000, 500)


def test_aspect_ratio_above_limit_is_refused():
    assert canvas_size("1000", "10", None, LIMITS).ok  # exactly 100
    refused = canvas_size("2000", "10", None, LIMITS)
    assert not refused.ok and "aspect ratio 200.0" in refused.reason


def test_zero_or_negative_size_is_refused():
    assert not canvas_size("0", "10", None, LIMITS).ok
    assert not canvas_size("-5", "10", None, LIMITS).ok
    assert not canvas_size("0.2", "0.2", None, LIMITS).ok  # rounds to a 0 px side


def test_oversized_canvas_is_refused_when_asked_as_the_released_code_did():
    released = SvgLimits(max_side_px=16384, oversize="refuse")
    refused = canvas_size("20000", "1000", None, released)
    assert not refused.ok and refused.reason == "SVG side of 20000 px is above 16384"
    at_cap = canvas_size("16384", "200", None, released)
    assert at_cap.ok and (at_cap.value.width, at_cap.value.height) == (16384, 200)
    scaled = canvas_size("20000", "400", None, SvgLimits(max_side_px=16384))
    assert scaled.ok and scaled.value.width == 16384
