"""Exact values of the numbers answers state: rationals and ``c·√r`` (c rational, r a square-free integer).

Most answers are integers, decimals, fractions, ``a\\sqrt{b}``, repeating decimals or such combined by + - × ÷
and integer powers; all of these are decided here exactly, in microseconds, never rounded to a fixed number of
places (math-verify rounds to 6 decimals, which accepts ``0.0000014`` for ``0.000001``). Anything else (π,
variables, sums of different radicals) is left to math-verify. Sizes are bounded: ``9^{9^{9}}`` is not computed
here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

# Beyond these an exact value is not attempted (the verifier, with its deadline, decides instead).
MAX_EXPONENT = 10_000
MAX_BITS = 200_000
_MAX_TRIAL_DIVISOR = 100_000


@dataclass(frozen=True)
class Surd:
    """``coefficient * sqrt(radicand)``; radicand square-free (1 for a rational), coefficient 0 for zero."""

    coefficient: Fraction
    radicand: int = 1

    @property
    def rational(self) -> Fraction | None:
        return self.coefficient if self.radicand == 1 else None

    def __float__(self) -> float:
        try:
            return float(self.coefficient) * math.sqrt(self.radicand)
        except OverflowError:  # a huge value: as large as a float goes, which no gold is near
            return math.inf if self.coefficient > 0 else -math.inf


def _bounded(value: Fraction) -> Fraction | None:
    if value.numerator.bit_length() > MAX_BITS or value.denominator.bit_length() > MAX_BITS:
        return None
    return value


def make(coefficient: Fraction, radicand: int = 1) -> Surd | None:
    if coefficient == 0:
        return Surd(Fraction(0), 1)
    square, free = _square_free(radicand)
    if free is None:
        return None
    bounded = _bounded(coefficient * square)
    return Surd(bounded, free) if bounded is not None else None


def _square_free(number: int) -> tuple[int, int | None]:
    """(s, f) with number = s^2 * f and f square-free; f None when ``number`` is too large to factor here."""
    if number <= 0:
        return 1, None if number < 0 else 0
    square, free, rest = 1, 1, number
    divisor = 2
    # Trial division up to the cube root of what is left suffices: a rest with no prime factor up to its cube
    # root has at most two, so it is 1, a prime, a product of two primes, or a prime squared.
    while divisor * divisor * divisor <= rest:
        if divisor > _MAX_TRIAL_DIVISOR:
            return 1, None
        while rest % (divisor * divisor) == 0:
            rest //= divisor * divisor
            square *= divisor
        if rest % divisor == 0:
            rest //= divisor
            free *= divisor
        divisor += 1 if divisor == 2 else 2
    root = math.isqrt(rest)
    if root * root == rest:
        return square * root, free
    return square, free * rest


def add(left: Surd | None, right: Surd | None, sign: int = 1) -> Surd | None:
    if left is None or right is None:
        return None
    if right.coefficient == 0:
        return left
    if left.coefficient == 0:
        return make(sign * right.coefficient, right.radicand)
    if left.radicand != right.radicand:
        return None  # 1 + \sqrt{2}: exact, but not of this form
    return make(left.coefficient + sign * right.coefficient, left.radicand)


def multiply(left: Surd | None, right: Surd | None) -> Surd | None:
    if left is None or right is None:
        return None
    return make(left.coefficient * right.coefficient, left.radicand * right.radicand)


def divide(left: Surd | None, right: Surd | None) -> Surd | None:
    if left is None or right is None or right.coefficient == 0:
        return None
    # 1 / (c sqrt r) = sqrt(r) / (c r)
    return make(left.coefficient / (right.coefficient * right.radicand), left.radicand * right.radicand)


def negate(value: Surd | None) -> Surd | None:
    return None if value is None else Surd(-value.coefficient, value.radicand)


def power(base: Surd | None, exponent: Surd | None) -> Surd | None:
    if base is None or exponent is None or exponent.radicand != 1:
        return None
    exp = exponent.coefficient
    if exp.denominator == 2 and base.radicand == 1 and base.coefficient >= 0:  # x^{1/2}, x^{3/2}
        root = square_root(base)
        return power(root, Surd(Fraction(exp.numerator))) if root is not None else None
    if exp.denominator != 1 or abs(exp.numerator) > MAX_EXPONENT:
        return None
    n = exp.numerator
    if base.coefficient == 0:
        return base if n > 0 else None
    bits = max(base.coefficient.numerator.bit_length(), base.coefficient.denominator.bit_length(), 1)
    if bits * abs(n) > MAX_BITS:
        return None
    coefficient = base.coefficient ** abs(n)
    # (c sqrt r)^n = c^n r^(n//2) sqrt(r)^(n%2)
    coefficient *= Fraction(base.radicand) ** (abs(n) // 2)
    value = make(coefficient, base.radicand if abs(n) % 2 else 1)
    if n < 0:
        return divide(Surd(Fraction(1)), value)
    return value


def square_root(value: Surd | None) -> Surd | None:
    """sqrt of a non-negative rational (``\\sqrt{12}`` = 2√3, ``\\sqrt{\\frac{1}{2}}`` = √2/2)."""
    if value is None or value.radicand != 1 or value.coefficient < 0:
        return None
    rational = value.coefficient
    # sqrt(p/q) = sqrt(p q) / q
    return make(Fraction(1, rational.denominator), rational.numerator * rational.denominator)


def factorial(value: Surd | None) -> Surd | None:
    if value is None or value.radicand != 1 or value.coefficient.denominator != 1:
        return None
    n = value.coefficient.numerator
    if not 0 <= n <= 1000:
        return None
    return Surd(Fraction(math.factorial(n)))


def binomial(top: Surd | None, bottom: Surd | None) -> Surd | None:
    if top is None or bottom is None or top.rational is None or bottom.rational is None:
        return None
    n, k = top.rational, bottom.rational
    if n.denominator != 1 or k.denominator != 1 or not 0 <= n.numerator <= 10_000:
        return None
    return Surd(Fraction(math.comb(n.numerator, k.numerator))) if k.numerator >= 0 else None


def repeating_decimal(integer: str, fixed: str, repetend: str) -> Fraction:
    """``integer.fixed(repetend)`` repeating: 0.1(6) = 1/6, 0.(142857) = 1/7."""
    base = Fraction(int(integer or "0")) + (Fraction(int(fixed), 10 ** len(fixed)) if fixed else Fraction(0))
    if not repetend:
        return base
    return base + Fraction(int(repetend), (10 ** len(repetend) - 1) * 10 ** len(fixed))


def within_precision(value: float, gold: float, places: int) -> bool:
    """``value`` rounds to ``gold`` at the gold's ``places`` decimals (half a unit in the last place)."""
    return abs(value - gold) <= 0.5 * 10.0**-places * (1 + 1e-9) + 1e-15
