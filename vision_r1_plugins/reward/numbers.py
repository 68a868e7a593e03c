"""Plain numbers and simple radicals, decided exactly in-process.

Most answers in geometry data are integers, decimals, fractions, ``a\\sqrt{b}`` and degrees. A value
``c * sqrt(r)`` (c rational, r a non-negative integer) is represented by its sign and ``c^2 * r``, which
identifies it uniquely, so comparing two of them is exact: no rounding to a fixed number of places (math-verify
rounds to 6 decimals, which accepts ``0.0000014`` for ``0.000001``).
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction

_NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+)"
_DECIMAL = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d*)\.(?P<places>\d+)")
_COEFFICIENT_SQRT = re.compile(
    rf"(?P<coef>{_NUMBER})?\s*(?:\\cdot\s*|\\times\s*)?\\sqrt\s*\{{\s*(?P<radicand>\d+)\s*\}}"
)
_ONE_LEVEL = r"[^{}]*(?:\{[^{}]*\}[^{}]*)?"  # a brace group may hold one nested group: \frac{\sqrt{3}}{2}
_FRACTION = re.compile(rf"\\[dt]?frac\s*\{{(?P<top>{_ONE_LEVEL})\}}\s*\{{(?P<bottom>{_ONE_LEVEL})\}}")
_DEGREES = re.compile(r"\s*(?:\^\s*\{?\s*\\circ\s*\}?|°|\\degree)\s*$")

# 1.4 \times 10^{-7}, 1.4\cdot 10^{-7}, 1.4e-7, 1.4E-07: scientific notation, exact like any decimal.
_SCIENTIFIC = re.compile(
    r"(?P<mantissa>\d+(?:\.\d*)?|\.\d+)\s*(?:(?:\\times|\\cdot|\*|x)\s*10\s*\^\s*\{?\s*(?P<power>[-+]?\d+)\s*\}?"
    r"|[eE](?P<e>[-+]?\d+))"
)

ExactValue = tuple[int, Fraction]  # (sign, square of the magnitude)


def _plain_number(text: str) -> Fraction:
    return Fraction(text.replace(",", ""))


def _unsigned_surd(text: str) -> Fraction | None:
    """``c^2 * r`` for an unsigned number, ``c\\sqrt{r}``, or a quotient of those; None otherwise."""
    text = text.strip()
    if text.startswith("{") and text.endswith("}") and text.count("{") == 1:
        text = text[1:-1].strip()
    if re.fullmatch(_NUMBER, text):
        return _plain_number(text) ** 2
    scientific = _SCIENTIFIC.fullmatch(text)
    if scientific:
        power = int(scientific.group("power") or scientific.group("e"))
        if abs(power) <= 400:
            return (Fraction(scientific.group("mantissa")) * Fraction(10) ** power) ** 2
    match = _COEFFICIENT_SQRT.fullmatch(text)
    if match:
        coefficient = _plain_number(match.group("coef")) if match.group("coef") else Fraction(1)
        return coefficient**2 * int(match.group("radicand"))
    match = _FRACTION.fullmatch(text) or re.fullmatch(r"(?P<top>[^/]+)/(?P<bottom>[^/]+)", text)
    if match:
        top, bottom = _unsigned_surd(match.group("top")), _unsigned_surd(match.group("bottom"))
        if top is not None and bottom:
            return top / bottom
    return None


@functools.lru_cache(maxsize=1 << 13)
def exact_value(text: str) -> ExactValue | None:
    """(sign, square) of a plain number or simple radical (degree marks dropped), or None."""
    text = _DEGREES.sub("", text.strip())
    sign = 1
    while text and text[0] in "+-":
        sign = -sign if text[0] == "-" else sign
        text = text[1:].lstrip()
    fraction = _FRACTION.fullmatch(text)
    if fraction and fraction.group("top").lstrip()[:1] == "-":  # \frac{-1}{2}
        sign = -sign
        text = f"\\frac{{{fraction.group('top').lstrip()[1:]}}}{{{fraction.group('bottom')}}}"
    square = _unsigned_surd(text)
    if square is None:
        return None
    return (0 if square == 0 else sign), square


def decimal_places(text: str) -> int | None:
    """Decimals of a number written as a decimal (``1.73`` -> 2, ``1.4 \times 10^{-7}`` -> 8); None for
    anything else. A number in scientific notation is a decimal as written, whatever its exponent."""
    text = text.strip().lstrip("+-").strip()
    match = _DECIMAL.fullmatch(text)
    if match:
        return len(match.group("places"))
    scientific = _SCIENTIFIC.fullmatch(text)
    if scientific:
        mantissa = scientific.group("mantissa")
        places = len(mantissa.partition(".")[2])
        return max(0, places - int(scientific.group("power") or scientific.group("e")))
    return None


def as_float(value: ExactValue) -> float | None:
    try:
        return value[0] * float(value[1]) ** 0.5
    except OverflowError:
        return None


def within_precision(value: float, gold: float, places: int) -> bool:
    """``value`` rounds to ``gold`` at the gold's ``places`` decimals (half a unit in the last place)."""
    return abs(value - gold) <= 0.5 * 10.0**-places * (1 + 1e-9) + 1e-15
