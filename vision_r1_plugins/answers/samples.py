"""Expressions in letters compared without computer algebra: by their values at random points.

Two rational functions of the same letters (``x^2+2x+1`` and ``(x+1)^2``) are equal exactly when they agree at
every point; two different ones of degree ``d`` agree at a random point from a set of ``N`` values with
probability at most ``d / N`` (the Schwartz-Zippel lemma). Each process draws its own points, ``POINTS`` per
letter from about 2^31 integers, so the chance that two different expressions of the sizes answers have pass
as one is below 2^-80, and no answer can be written against known points. The arithmetic is exact
(fractions), and bounded: beyond ``exact.MAX_BITS`` no value is kept and computer algebra decides instead.

A value here is a tuple: the expression at each point, or None where it is not a rational function of its
letters (roots, functions, constants such as π) or its value at a point is undefined.
"""

from __future__ import annotations

import random
import threading
from fractions import Fraction

from vision_r1_plugins.answers.exact import MAX_BITS

POINTS = 4
MAX_POWER = 64  # x^{1000} is left to computer algebra

Samples = tuple[Fraction, ...]

_random = random.SystemRandom()
_points: dict[str, Samples] = {}
_lock = threading.Lock()


def letter(name: str) -> Samples:
    """The letter's values at this process's points."""
    with _lock:
        if name not in _points:
            _points[name] = tuple(Fraction(_random.randrange(1 << 20, 1 << 31)) for _ in range(POINTS))
        return _points[name]


def constant(value: Fraction) -> Samples:
    return (value,) * POINTS


def _bounded(values: list[Fraction]) -> Samples | None:
    for value in values:
        if value.numerator.bit_length() > MAX_BITS or value.denominator.bit_length() > MAX_BITS:
            return None
    return tuple(values)


def add(left: Samples | None, right: Samples | None, sign: int = 1) -> Samples | None:
    if left is None or right is None:
        return None
    return _bounded([a + sign * b for a, b in zip(left, right, strict=True)])


def negate(value: Samples | None) -> Samples | None:
    return None if value is None else tuple(-a for a in value)


def multiply(left: Samples | None, right: Samples | None) -> Samples | None:
    if left is None or right is None:
        return None
    return _bounded([a * b for a, b in zip(left, right, strict=True)])


def divide(left: Samples | None, right: Samples | None) -> Samples | None:
    if left is None or right is None or any(b == 0 for b in right):
        return None
    return _bounded([a / b for a, b in zip(left, right, strict=True)])


def power(base: Samples | None, exponent: Samples | None) -> Samples | None:
    """An integer power: the exponent a constant whole number up to ``MAX_POWER``."""
    if base is None or exponent is None or len(set(exponent)) != 1:
        return None
    (count,) = set(exponent)
    if count.denominator != 1 or abs(count) > MAX_POWER or (count < 0 and any(a == 0 for a in base)):
        return None
    if any(max(a.numerator.bit_length(), a.denominator.bit_length()) * abs(count) > MAX_BITS for a in base):
        return None
    return tuple(a ** int(count) for a in base)
