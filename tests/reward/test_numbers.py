"""Exact in-process numbers: decided without math-verify, and in agreement with it wherever math-verify is
exact (it rounds to 6 decimals, and has no notion of a gold's precision; those differences are the rules')."""

from __future__ import annotations

from fractions import Fraction

import pytest

from vision_r1_plugins.reward.decide import judge_answer
from vision_r1_plugins.reward.numbers import decimal_places, exact_value, within_precision

NUMBER_PAIRS = [
    ("5", "5"),
    ("5", "6"),
    ("-3", "-3"),
    ("+3", "3"),
    ("0.5", "\\frac{1}{2}"),
    ("1/2", "0.5"),
    ("2.50", "2.5"),
    ("\\dfrac{3}{4}", "0.75"),
    ("-\\frac{1}{2}", "-0.5"),
    ("\\frac{-1}{2}", "-0.5"),
    ("0.51", "\\frac{1}{2}"),
    ("3", "3.0"),
    ("3.01", "3"),
    ("100", "1000"),
    (".5", "0.5"),
    ("7/8", "\\frac{7}{8}"),
    ("1/3", "0.34"),
    ("\\sqrt{12}", "2\\sqrt{3}"),
    ("2\\sqrt{2}", "2\\sqrt{3}"),
    ("-2\\sqrt{3}", "2\\sqrt{3}"),
    ("\\frac{\\sqrt{3}}{2}", "\\frac{\\sqrt{12}}{4}"),
    ("3\\sqrt{2}/4", "\\frac{3\\sqrt{2}}{4}"),
    ("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}"),
    ("\\sqrt{2}", "1.5"),
    ("30", "30^\\circ"),
    ("30^{\\circ}", "30"),
    ("60^\\circ", "30^\\circ"),
    ("45", "45^\\circ"),
    ("30°", "30"),
    ("30\\degree", "30"),
    ("0", "-0"),
    ("9" * 400, "9" * 400),
    ("-\\frac{1}{2}", "\\frac{1}{2}"),
]


@pytest.mark.parametrize(("pred", "gold"), NUMBER_PAIRS)
def test_in_process_numbers_agree_with_math_verify(pred: str, gold: str) -> None:
    from vision_r1_plugins.reward.equivalence import equivalent

    verdict = judge_answer(pred, gold)
    assert verdict is not None, "plain numbers are decided in-process"
    assert verdict.correct is equivalent(gold, pred)


@pytest.mark.parametrize(
    ("pred", "gold", "correct"),
    [
        ("0.0000014", "0.000001", False),  # math-verify: equal after rounding to 6 decimals
        ("4\\sqrt{3}", "6.9", True),  # an exact form rounds to the decimal gold at its precision
        ("6.93", "6.9", False),  # a decimal is compared as written
        ("9" * 400 + ".5", "8" * 400 + ".5", False),  # too big for floats, still exact
    ],
)
def test_rules_where_math_verify_differs(pred: str, gold: str, correct: bool) -> None:
    verdict = judge_answer(pred, gold)
    assert verdict is not None and verdict.correct is correct


def test_exact_values() -> None:
    assert exact_value("1,000") == (1, Fraction(1000) ** 2)
    assert exact_value("-\\frac{1}{2}") == (-1, Fraction(1, 4))
    assert exact_value("2\\sqrt{3}") == exact_value("\\sqrt{12}")
    assert exact_value("-{5}") == (-1, Fraction(25))
    assert exact_value("x") is None


def test_precision() -> None:
    assert decimal_places("1.73") == 2 and decimal_places("1,000.5") == 1 and decimal_places("5") is None
    assert within_precision(1.7320508, 1.73, 2) and not within_precision(1.736, 1.73, 2)
