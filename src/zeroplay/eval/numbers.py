"""Reading a number out of a short answer ("1,250", "$3.5", "25\\%", "\\frac{1}{2}", "4 cubes").

Used to score `number` items with a tolerance. Anything that is not clearly one number is
invalid, so "2 or 3" or "x = 4, y = 5" never count as a number.
"""

from __future__ import annotations

import math
import re

from zeroplay.answers.parsed import Parsed

# LaTeX wrappers whose content is the answer: \text{...}, \mathrm{...}, \textbf{...}, \mathbf{...}.
_WRAPPER = re.compile(r"\\(?:text|mathrm|textbf|mathbf|operatorname)\s*\{([^{}]*)\}")
_FRACTION = re.compile(r"^(-?)\\[dt]?frac\s*\{\s*([^{}]+?)\s*\}\s*\{\s*([^{}]+?)\s*\}$")
_SLASH = re.compile(r"^(-?\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)$")
# Digits with commas only as thousands separators (1,234,567), or plain digits.
# A mantissa is required ("E0" is not a number); the exponent is optional.
_DECIMAL = re.compile(r"^[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$")
# Up to three trailing words of letters after the number: a unit or a noun ("cm", "red cubes").
_UNIT = re.compile(r"^(.*?\d)\s*(?:°|[A-Za-z]+\.?)(?:\s+[A-Za-z]+\.?){0,2}$")


def _strip_markup(text: str) -> str:
    """Remove math delimiters, LaTeX wrappers, spacing commands, currency and percent signs.

    A percent sign is dropped, not applied: "25%" reads as 25, as benchmarks write such golds.
    """
    text = text.strip()
    for _ in range(3):  # nested wrappers such as \text{\textbf{5}}
        text = _WRAPPER.sub(r"\1", text)
    text = text.replace("\\,", "").replace("\\!", "").replace("\\ ", " ")
    text = text.replace("\\%", "%").replace("\\$", "").replace("$", "").replace("−", "-")
    text = text.strip().removesuffix(".").strip()
    return text.removesuffix("%").strip()


def _plain_number(text: str) -> float | None:
    if not text or not _DECIMAL.fullmatch(text) or not any(c.isdigit() for c in text):
        return None
    try:
        value = float(text.replace(",", ""))
    except ValueError:  # belt and braces: the pattern should already exclude this
        return None
    return value if math.isfinite(value) else None


def parse_number(text: str) -> Parsed[float]:
    """The single number `text` states, or invalid with a reason. Never raises."""
    if not isinstance(text, str):
        return Parsed.invalid("not a string")
    if len(text) > 200:
        return Parsed.invalid("too long to be a number")
    cleaned = _strip_markup(text)
    fraction = _FRACTION.fullmatch(cleaned)
    if fraction:
        sign, top, bottom = fraction.groups()
        numerator, denominator = _plain_number(top), _plain_number(bottom)
        if numerator is None or denominator is None or denominator == 0:
            return Parsed.invalid(f"not a numeric fraction: {text[:40]!r}")
        return Parsed.valid((-1.0 if sign else 1.0) * numerator / denominator)
    slash = _SLASH.fullmatch(cleaned)
    if slash:
        denominator = float(slash.group(2))
        if denominator == 0:
            return Parsed.invalid("division by zero")
        return Parsed.valid(float(slash.group(1)) / denominator)
    value = _plain_number(cleaned)
    if value is None:
        unit = _UNIT.fullmatch(cleaned)
        if unit:
            value = _plain_number(_strip_markup(unit.group(1)))
    if value is None:
        return Parsed.invalid(f"not a number: {text[:40]!r}")
    return Parsed.valid(value)


def numbers_match(given: float, gold: float, rel_tol: float, abs_tol: float = 1e-9) -> bool:
    """|given - gold| <= max(abs_tol, rel_tol * |gold|): relative to the gold value only, so
    the verdict does not depend on how far off the prediction is (unlike `math.isclose`)."""
    return abs(given - gold) <= max(abs_tol, rel_tol * abs(gold))
