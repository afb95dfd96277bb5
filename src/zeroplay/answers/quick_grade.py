"""In-process verdicts for the answer pairs whose MathRuler `grade_answer` result is certain.

Every branch below is derived from MathRuler's grader (mathd normalisation, then its own
`_normalize`, then the sympy comparison; visplay.md §1.2) and checked against it in the tests. Any
pair not covered returns None and goes to the sandboxed grader process. The point is speed: most
votes compare plain numbers or option letters, which need neither sympy nor a process round trip.
"""

from __future__ import annotations

import re
from decimal import Decimal

# An optional sign, digits, an optional fraction and an optional percent sign; nothing else.
_SIMPLE_NUMBER = re.compile(r"-?(\d+)(?:\.(\d+))?%?")
# Decimals with at most 15 significant digits map to distinct doubles, so sympy's 15-digit Float
# difference is zero exactly when the decimal values are equal.
_MAX_DIGITS = 15
# MathRuler treats x as an integer when |x - round(x)| <= 1e-7 and rewrites it as that integer.
_INTEGER_TOLERANCE = 1e-7


def _simple_number(text: str) -> str | None:
    """`text` without its `%` when it is a short plain decimal number, else None."""
    match = _SIMPLE_NUMBER.fullmatch(text)
    if match is None:
        return None
    digits = len(match.group(1)) + len(match.group(2) or "")
    if digits > _MAX_DIGITS:
        return None
    return text.removesuffix("%")


def _near_integer(value: float) -> bool:
    return abs(value - round(value)) <= _INTEGER_TOLERANCE


def _numbers_match(given: str, gold: str) -> bool:
    """MathRuler's verdict for two plain decimals (percent signs already removed)."""
    if given == gold:
        return True  # mathd normalisation leaves such strings unchanged (or maps "0.5" alike)
    given_value, gold_value = float(given), float(gold)
    given_int, gold_int = _near_integer(given_value), _near_integer(gold_value)
    if given_int and gold_int:
        # Both are rewritten to integer strings; distinct integers fail the sympy check too.
        return round(given_value) == round(gold_value)
    if given_int != gold_int:
        return False  # an integer against a non-integer never matches
    return Decimal(given) == Decimal(gold)  # sympy: Float(gold) - Float(given) == 0


def _single_letter(text: str) -> bool:
    return len(text) == 1 and text.isascii() and text.isalpha()


def quick_verdict(given: object, gold: object) -> bool | None:
    """MathRuler's `grade_answer(given, gold)` where it is certain without sympy, else None.

    Covered: non-strings (False), strings equal after stripping (True), two plain decimal numbers
    with an optional `%` (so "25%" matches "25" and "3.5" matches "3.50"), and two single ASCII
    letters (case-insensitive, so "A" matches "a"; distinct letters never match).
    """
    if not isinstance(given, str) or not isinstance(gold, str):
        return False
    if given.strip() == gold.strip():
        return True
    given_number, gold_number = _simple_number(given), _simple_number(gold)
    if given_number is not None and gold_number is not None:
        return _numbers_match(given_number, gold_number)
    if _single_letter(given) and _single_letter(gold):
        return given.lower() == gold.lower()
    return None
