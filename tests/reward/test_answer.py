from __future__ import annotations

import pytest

from vision_r1_plugins.reward.answer import (
    clean_answer,
    count_candidates,
    gold_choice,
    is_word_answer,
    predicted_choice,
)
from vision_r1_plugins.reward.judge import judge_answer


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
    assert judge_answer("\\frac{1}{2}", "0.5") is None
    assert judge_answer("???", "???") is None  # an unparseable gold is never accepted on text identity
