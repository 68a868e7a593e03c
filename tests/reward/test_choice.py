from __future__ import annotations

import pytest

from vision_r1_plugins.reward.answer import clean_answer
from vision_r1_plugins.reward.choice import gold_choice, predicted_choice

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
        ("A C", "multiple"),
        ("A\nC", "multiple"),
        ("(A) (C)", "multiple"),
        ("A (possibly C)", "multiple"),
        ("A B C D", "multiple"),
        ("A.B.C.D.", "multiple"),
        ("C. Actually B.", "multiple"),
        ("A 或 C", "multiple"),
        ("C. 8\\pi", "multiple"),  # a letter with another option's text
        ("C or 4\\pi", "multiple"),
        ("\\boxed{\\text{C}}", 2),
        ("**Answer:** C", 2),
        ("故选C", 2),
        ("选项(C)正确。", 2),
        ("（C）", 2),
        ("Ｃ", 2),
        ("C。", 2),
        ("I think it is C", 2),
        ("\\angle A = 30, so C", 2),  # a point named A is not option A
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


def test_without_choices_late_capitals_are_words() -> None:
    assert predicted_choice("I think C", None) == 2
    assert predicted_choice("A B C D", None) == "multiple"
    assert predicted_choice("F", None, gold_index=5) == 5
