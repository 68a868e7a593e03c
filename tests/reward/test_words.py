from __future__ import annotations

import pytest

from vision_r1_plugins.reward.words import is_word_answer, judge_words


def test_word_answers() -> None:
    assert is_word_answer("Yes") and is_word_answer("\\text{no}") and is_word_answer("isosceles triangle")
    assert not is_word_answer("pi") and not is_word_answer("x") and not is_word_answer("5")


@pytest.mark.parametrize(
    ("pred", "gold", "reason"),
    [
        ("Yes, it is", "Yes", "ok"),
        ("No, it is not", "No", "ok"),
        ("no", "No", "ok"),
        ("是", "Yes", "ok"),
        ("Yes or no", "Yes", "multiple_candidates"),
        ("No", "Yes", "wrong_answer"),
        ("isosceles", "Isosceles", "ok"),
        ("The triangle is isosceles", "isosceles", "ok"),
        ("isosceles, equilateral", "isosceles", "multiple_candidates"),
        ("scalene", "isosceles", "wrong_answer"),
    ],
)
def test_judge_words(pred: str, gold: str, reason: str) -> None:
    assert judge_words(pred, gold).reason == reason
