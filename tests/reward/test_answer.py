from __future__ import annotations

import pytest

from vision_r1_plugins.reward.answer import (
    clean_answer,
    count_candidates,
    gold_choice,
    is_word_answer,
    predicted_choice,
)
from vision_r1_plugins.reward.decide import judge_answer


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (" Final Answer: 7 ", "7"),
        ("final answer:C", "C"),
        ("**Final Answer:** $\\frac{1}{2}$", "\\frac{1}{2}"),
        ("$$x = 5$$", "x = 5"),
        ("\\[ 2\\sqrt{3} \\]", "2\\sqrt{3}"),
        ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
        ("The answer is \\boxed{12}.", "12"),
        ("$\\boxed{A}$", "A"),
        ("C.", "C"),
        ("\\boxed{A}\\boxed{B}", "\\boxed{A}\\boxed{B}"),
    ],
)
def test_clean_answer(raw: str, clean: str) -> None:
    assert clean_answer(raw) == clean


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("5", 1),
        ("1,000", 1),
        ("1,000,000", 1),
        ("(1, 2)", 1),
        ("[0, 1)", 1),
        ("x = 5", 1),
        ("5 or 6", 2),
        ("4, 5", 2),
        ("A, B, C, D", 4),
        ("\\boxed{A}\\boxed{B}", 2),
        ("5 \\text{ or } 6", 2),
        ("x = 2 \\lor x = 3", 2),
        ("\\pm 5", 2),
        ("12, 13", 2),
        ("12 \\quad \\text{cm}", 1),
        ("x = 2 \\quad \\text{or} \\quad x = 3", 2),
    ],
)
def test_count_candidates(text: str, count: int) -> None:
    assert count_candidates(text) == count


CHOICES = ["2\\pi", "4\\pi", "6\\pi", "8\\pi"]


@pytest.mark.parametrize(
    ("pred", "picked"),
    [
        ("C", 2),
        ("(C)", 2),
        ("C.", 2),
        ("C:", 2),
        ("C. 6\\pi", 2),
        ("C 6\\pi", 2),
        ("Option C", 2),
        ("The answer is C.", 2),
        ("The correct answer is (C)", 2),
        ("answer: c", 2),
        ("(c)", 2),
        ("6\\pi", 2),
        ("6 \\pi", 2),
        ("A or C", "multiple"),
        ("A, B, C, D", "multiple"),
        ("A and C", "multiple"),
        ("C/D", "multiple"),
        ("C. 6\\pi or D. 8\\pi", "multiple"),
        ("\\boxed{A}\\boxed{C}", "multiple"),
        ("I think so", None),
        ("a triangle", None),
        ("E", None),  # only four options
    ],
)
def test_predicted_choice(pred: str, picked: int | str | None) -> None:
    assert predicted_choice(clean_answer(pred), CHOICES) == picked


def test_option_text_beats_article_reading() -> None:
    options = ["A right triangle", "An obtuse triangle"]
    assert predicted_choice("A right triangle", options) == 0
    assert predicted_choice("An obtuse triangle", options) == 1


@pytest.mark.parametrize(
    ("gold", "choices", "expected"),
    [
        ("C", None, (2, None)),
        ("(C)", None, (2, None)),
        ("C. 6\\pi", None, (2, "6\\pi")),
        ("6\\pi", CHOICES, (2, "6\\pi")),
        ("6", None, None),
        ("Yes", None, None),
    ],
)
def test_gold_choice(gold: str, choices: list[str] | None, expected: tuple | None) -> None:
    assert gold_choice(gold, choices) == expected


def test_word_answers() -> None:
    assert is_word_answer("Yes") and is_word_answer("\\text{no}") and is_word_answer("isosceles triangle")
    assert not is_word_answer("pi") and not is_word_answer("x") and not is_word_answer("5")


@pytest.mark.parametrize(
    ("pred", "gold", "choices", "reason"),
    [
        ("yes", "Yes", None, "ok"),
        ("YES.", "yes", None, "ok"),
        ("No", "Yes", None, "wrong_answer"),
        ("Yes or No", "Yes", None, "multiple_candidates"),
        ("C", "C", None, "ok"),
        ("B", "C", None, "wrong_answer"),
        ("6\\pi", "C. 6\\pi", None, "ok"),
        ("E", "E", CHOICES, "bad_ground_truth"),
        ("7", "", None, "bad_ground_truth"),
        ("", "7", None, "empty_answer"),
        ("5 or 6", "5", None, "multiple_candidates"),
        ("7", "7", None, "ok"),
    ],
)
def test_text_only_verdicts(pred: str, gold: str, choices: list[str] | None, reason: str) -> None:
    verdict = judge_answer(pred, gold, choices)
    assert verdict is not None and verdict.reason == reason
    assert verdict.correct is (reason == "ok")


def test_algebra_is_deferred_not_guessed() -> None:
    # Anything needing computer algebra comes back undecided instead of a text guess.
    assert judge_answer("(x+1)^2", "x^2+2x+1") is None
    assert judge_answer("\\sqrt{3}+1", "1+\\sqrt{3}") is None
    assert judge_answer("12 cm", "12") is None
    assert judge_answer("???", "???") is None  # an unparseable gold is never accepted on text identity
    assert judge_answer("0.3333333", "\\frac{1}{3}") is None  # close values: math-verify's rounding decides


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
    ("4\\sqrt{3}", "6.9"),
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
def test_number_fast_path_agrees_with_math_verify(pred: str, gold: str) -> None:
    from vision_r1_plugins.reward.answer import judge_numbers
    from vision_r1_plugins.reward.equivalence import equivalent

    fast = judge_numbers(pred, gold)
    assert fast is not None
    assert fast.correct is equivalent(gold, pred)


def test_number_fast_path_survives_huge_values() -> None:
    from vision_r1_plugins.reward.answer import judge_numbers

    assert judge_numbers("9" * 400, "8" * 400).reason == "wrong_answer"  # integers compare exactly
    assert judge_numbers("9" * 400 + ".5", "8" * 400 + ".5") is None  # too big for floats: math-verify decides
