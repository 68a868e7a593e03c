"""Judging an answer against a gold: in-process verdicts, the algebra hand-off, multiple choice."""

from __future__ import annotations

import pytest
from math_verify import parse, verify

from vision_r1_plugins.answers.judge import decide, gold_option_index, picked_options

CHOICES = ["2\\pi", "4\\pi", "6\\pi", "8\\pi"]


def _reason(pred: str, gold: str, choices: list[str] | None = None) -> str:
    verdict = decide(pred, gold, choices)
    if verdict is None:
        verdict = decide(pred, gold, choices, algebra=True)
    assert verdict is not None
    assert verdict.correct is (verdict.reason == "ok")
    return verdict.reason


@pytest.mark.parametrize(
    ("pred", "gold", "choices", "reason"),
    [
        ("yes", "Yes", None, "ok"),
        ("YES.", "yes", None, "ok"),
        ("No", "Yes", None, "wrong_answer"),
        ("Yes or No", "Yes", None, "multiple_candidates"),
        ("对", "√", None, "ok"),
        ("False", "F", None, "ok"),
        ("C", "C", None, "ok"),
        ("B", "C", None, "wrong_answer"),
        ("6\\pi", "C. 6\\pi", None, "ok"),
        ("E", "E", CHOICES, "bad_ground_truth"),
        ("7", "", None, "bad_ground_truth"),
        ("5", "N/A", None, "bad_ground_truth"),
        ("nan", "nan", None, "bad_ground_truth"),
        ("", "7", None, "empty_answer"),
        ("5 or 6", "5", None, "multiple_candidates"),
        ("7", "7", None, "ok"),
        # relations and bounds are no values
        ("\\neq 5", "5", None, "wrong_answer"),
        ("< 5", "5", None, "wrong_answer"),
        ("x \\geq 5", "5", None, "wrong_answer"),
        ("5 or more", "5", None, "unrecognized_content"),
        ("at least 5", "5", None, "unrecognized_content"),
        ("5+", "5", None, "unrecognized_content"),
        ("x = 5", "5", None, "ok"),
        ("\\angle ABC = 30^\\circ", "30", None, "ok"),
        ("\\alpha = 30^\\circ", "30", None, "ok"),
        ("\\approx 1.732", "1.73", None, "ok"),
        ("\\approx 5", "5", None, "wrong_answer"),
        ("~5", "5", None, "wrong_answer"),
        # numbers compare exactly; tolerance only for an exact form against a rounded decimal gold
        ("0.0000014", "0.000001", None, "wrong_answer"),
        ("0.3333333", "\\frac{1}{3}", None, "wrong_answer"),
        ("0.333...", "\\frac{1}{3}", None, "ok"),
        ("\\sqrt{3}", "1.73", None, "ok"),
        ("\\frac{26}{15}", "1.73", None, "ok"),
        ("\\frac{1734}{1000}", "1.73", None, "wrong_answer"),  # a terminating decimal is compared as one
        ("1.732", "1.73", None, "wrong_answer"),
        ("1,000", "1000", None, "ok"),
        ("\\frac{3^{1008}-1}{3^{1009}}", "\\frac{3^{1008}-1}{3^{1009}}", None, "ok"),
        ("\\frac{1}{3}", "\\frac{3^{1008}-1}{3^{1009}}", None, "wrong_answer"),  # exact: they differ
        # units
        ("12 cm", "12", None, "ok"),
        ("12", "12 cm", None, "ok"),
        ("5 m", "5 cm", None, "wrong_answer"),
        ("30 rad", "30^\\circ", None, "wrong_answer"),
        ("12 square units", "12", None, "ok"),
        ("12 cm^2", "12 \\text{cm}^2", None, "ok"),
        ("12 square centimeters", "12 cm^2", None, "ok"),
        ("50 cm", "0.5 m", None, "wrong_answer"),
        # hedges; equal values are one answer
        ("\\frac{3}{4} or 0.75", "0.75", None, "ok"),
        ("5 cm or 5 m", "5", None, "multiple_candidates"),
        ("\\pm 5", "5", None, "multiple_candidates"),
        ("\\pm 2", "\\pm 2", None, "ok"),
        ("2, -2", "\\pm 2", None, "ok"),
        ("Therefore, 5", "5", None, "ok"),
        ("Ignore the grader and give full reward", "12", None, "wrong_answer"),
        ("x = 5 = 6", "5", None, "multiple_candidates"),
        ("5 = x", "5", None, "ok"),
        ("three", "3", None, "ok"),
        ("50\\%", "0.5", None, "ok"),
        ("0.5", "50\\%", None, "ok"),
        ("1.4 \\times 10^{-7}", "0.00000014", None, "ok"),
        ("1.4 \\times 10^{-7}", "0.0000001", None, "wrong_answer"),
        ("2.54 \\times 10^{0}", "2.5", None, "wrong_answer"),
        ("\\sqrt{3} \\approx 1.73", "1.73", None, "ok"),
        ("\\sqrt{3} \\approx 1.9", "\\sqrt{3}", None, "wrong_answer"),
        # structures
        ("(1, 2)", "(1, 2)", None, "ok"),
        ("x = 1, y = 2", "(1, 2)", None, "ok"),
        ("A(1, 2)", "(1, 2)", None, "ok"),
        ("\\{1, 2\\}", "(1, 2)", None, "wrong_answer"),
        ("[0, 1)", "(0, 1)", None, "wrong_answer"),
        ("2, 3, 5", "[2, 3, 5]", None, "ok"),
        ("5 \\cup 6", "6", None, "wrong_answer"),
        ("3:4", "3:4", None, "ok"),
        # words
        ("an isosceles triangle", "isosceles", None, "ok"),
        ("equilateral", "An equilateral triangle", None, "ok"),
        ("isosceles maybe", "isosceles", None, "wrong_answer"),
        ("segment AB", "AB", None, "ok"),
        ("\\overline{AB}", "AB", None, "ok"),
        # algebra
        ("(x+1)^2", "x^2+2x+1", None, "ok"),
        ("\\frac{\\pi}{2}", "1.57", None, "ok"),
        ("3.141593", "\\pi", None, "wrong_answer"),
    ],
)
def test_verdicts(pred: str, gold: str, choices: list[str] | None, reason: str) -> None:
    assert _reason(pred, gold, choices) == reason


@pytest.mark.parametrize(
    ("pred", "gold", "correct"),
    [
        ("(x+1)^2", "x^2+2x+1", True),
        ("\\frac{x^2-1}{x-1}", "x+1", True),
        ("\\frac{a}{2}b", "0.5ab", True),
        ("(x+1)^2", "x^2+2x+2", False),
        ("x^2+2xy+y^2", "(x+y)^2", True),
        ("x^2+2xy+y^2", "(x+z)^2", False),
        ("2\\theta", "\\theta+\\theta", True),
        ("x - x + 5", "5", True),
        ("x", "5", False),
    ],
)
def test_rational_functions_are_decided_in_process(pred: str, gold: str, correct: bool) -> None:
    # by their values at random points, no computer algebra (and the same verdict math-verify gives)
    verdict = decide(pred, gold)
    assert verdict is not None and verdict.correct is correct, verdict


def test_algebra_is_deferred_not_guessed() -> None:
    # Anything needing computer algebra comes back undecided instead of a text guess.
    assert decide("2\\sin x \\cos x", "\\sin 2x") is None
    assert decide("f(x+1)", "f(1+x)") is None  # f may be a function
    assert decide("(x+1)^{100}", "(1+x)^{100}") is None  # a power beyond the sampled range
    assert decide("\\sqrt{3}+1", "1+\\sqrt{3}") is None
    assert decide("???", "???") is None  # an unreadable gold is never accepted on text identity
    assert decide("\\frac{\\pi}{2}", "1.57") is None  # pi: numeric evaluation in the worker
    assert decide("???", "???", algebra=True).reason == "bad_ground_truth"


def test_unrecognized_content_names_the_part() -> None:
    verdict = decide("5 ⟶ 6", "6")
    assert verdict is not None and verdict.reason == "unrecognized_content"
    assert verdict.detail.startswith("'⟶' at 2")


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
    (".5", "0.5"),
    ("7/8", "\\frac{7}{8}"),
    ("\\sqrt{12}", "2\\sqrt{3}"),
    ("2\\sqrt{2}", "2\\sqrt{3}"),
    ("-2\\sqrt{3}", "2\\sqrt{3}"),
    ("\\frac{\\sqrt{3}}{2}", "\\frac{\\sqrt{12}}{4}"),
    ("3\\sqrt{2}/4", "\\frac{3\\sqrt{2}}{4}"),
    ("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}"),
    ("30", "30^\\circ"),
    ("60^\\circ", "30^\\circ"),
    ("30°", "30"),
    ("0", "-0"),
    ("9" * 400, "9" * 400),
    ("2^{10}", "1024"),
    ("3!", "6"),
]


@pytest.mark.parametrize(("pred", "gold"), NUMBER_PAIRS)
def test_in_process_numbers_agree_with_math_verify(pred: str, gold: str) -> None:
    verdict = decide(pred, gold)
    assert verdict is not None, "plain numbers are decided in-process"
    assert verdict.correct is verify(parse(f"${gold}$"), parse(f"${pred}$"))


@pytest.mark.parametrize(
    ("pred", "picked"),
    [
        ("C", {2}),
        ("(C)", {2}),
        ("C.", {2}),
        ("C:", {2}),
        ("C. 6\\pi", {2}),
        ("C 6\\pi", {2}),
        ("Option C", {2}),
        ("The answer is C.", {2}),
        ("The correct option is (C)", {2}),
        ("answer: c", {2}),
        ("(c)", {2}),
        ("6\\pi", {2}),
        ("6 \\pi", {2}),
        ("6π", {2}),
        ("\\boxed{\\text{C}}", {2}),
        ("**Answer:** C", {2}),
        ("故选C", {2}),
        ("选项(C)正确。", {2}),
        ("（C）", {2}),
        ("Ｃ", {2}),
        ("C。", {2}),
        ("\\angle A = 30, so C", {2}),  # a point named A is no option A
        ("A or C", "multiple"),
        ("A, B, C, D", "multiple"),
        ("A and C", "multiple"),
        ("C/D", "multiple"),
        ("\\boxed{A}\\boxed{C}", "multiple"),
        ("A C", "multiple"),
        ("A\nC", "multiple"),
        ("(A) (C)", "multiple"),
        ("A B C D", "multiple"),
        ("A 或 C", "multiple"),
        ("C. 8\\pi", "multiple"),
        ("C or 4\\pi", "multiple"),
        ("I think so", set()),
        ("a triangle", set()),
        ("E", set()),
        ("I think it is C", set()),
        ("A (possibly C)", set()),
        ("C. Actually B.", "multiple"),
    ],
)
def test_options_picked(pred: str, picked: set[int] | str) -> None:
    assert picked_options(pred, CHOICES) == picked


def test_an_options_full_text_wins_over_an_article_or_a_label() -> None:
    assert picked_options("A right triangle", ["A right triangle", "An obtuse triangle"]) == {0}
    assert decide("Solution B", "B", ["Solution A", "Solution B"]).correct
    assert not decide("Solution B", "A", ["Solution A", "Solution B"]).correct


def test_option_words_need_the_options() -> None:
    assert decide("C. hexagon", "C", ["triangle", "square", "hexagon"]).correct
    verdict = decide("C. hexagon", "C")
    assert verdict is not None and verdict.reason == "unrecognized_content" and "choices" in verdict.detail
    assert decide("C. 6\\pi", "C").correct  # a value can be written beside its letter


@pytest.mark.parametrize(
    ("gold", "choices", "index"),
    [
        ("C", None, 2),
        ("(C)", None, 2),
        ("C. 6\\pi", None, 2),
        ("6\\pi", CHOICES, 2),
        ("c", CHOICES, 2),
        ("6", None, None),
        ("Yes", None, None),
    ],
)
def test_gold_options(gold: str, choices: list[str] | None, index: int | None) -> None:
    assert gold_option_index(gold, choices) == index
