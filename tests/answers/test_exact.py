"""Exact numbers and sampled expressions: the arithmetic the judge trusts without computer algebra."""

from __future__ import annotations

from fractions import Fraction

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from vision_r1_plugins.answers import exact, samples


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=10**14))
def test_square_free_parts_match_a_full_factorisation(number: int) -> None:
    square, free = exact._square_free(number)
    expected_square, expected_free = 1, 1
    for prime, count in sympy.factorint(number).items():
        expected_square *= prime ** (count // 2)
        expected_free *= prime ** (count % 2)
    assert (square, free) == (expected_square, expected_free)


def test_square_roots_simplify() -> None:
    assert exact.square_root(exact.Surd(Fraction(36081072))) == exact.Surd(Fraction(3468), 3)
    assert exact.square_root(exact.Surd(Fraction(-4))) is None


def test_samples_are_exact_and_bounded() -> None:
    x = samples.letter("x")
    assert samples.letter("x") == x and samples.letter("y") != x  # one draw per letter and process
    assert samples.divide(samples.constant(Fraction(1)), samples.add(x, x, -1)) is None  # 1/0 is no value
    assert samples.power(x, samples.constant(Fraction(1, 2))) is None  # only whole powers
    assert samples.power(x, samples.constant(Fraction(samples.MAX_POWER + 1))) is None
    assert samples.power(x, samples.constant(Fraction(-2))) == tuple(1 / (a * a) for a in x)
