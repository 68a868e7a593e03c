from __future__ import annotations

import pytest

from vision_r1_plugins.reward.answer import clean_answer


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
        # boxes: one box with only wrapping around it is the answer; anything else is unwrapped in place
        ("\\boxed{5} \\boxed{5}", "5"),
        ("-\\boxed{5}", "-5"),
        ("\\boxed{5}^2", "5^2"),
        ("2\\boxed{5}", "2\\cdot 5"),
        ("\\boxed{5} or 6", "5 or 6"),
        ("x\\boxed{5}", "x{5}"),
        # formatting, lead-ins and notation
        ("\\boxed{\\text{A}}", "A"),
        ("**Answer:** C", "C"),
        ("\\textbf{C}", "C"),
        ("Therefore, the answer is 5.", "5"),
        ("Thus, x = 5", "x = 5"),
        ("The area is 12 square units.", "12 square units"),
        ("答案：5", "5"),
        ("答案是5", "5"),
        ("所以答案为 5。", "5"),
        ("故选B", "B"),
        ("B。", "B"),
        ("选项(D)正确。", "(D)"),
        ("（C）", "(C)"),
        ("Ｃ", "C"),
        ("2√3", "2\\sqrt{3}"),
        ("4 sqrt(2)", "4 \\sqrt{2}"),
        ("5²", "5^{2}"),
        ("5\u200b", "5"),
        ("−3", "-3"),
        ("$5$ $6$", "$5$ $6$"),  # two math groups, not one wrapped answer
    ],
)
def test_clean_answer(raw: str, clean: str) -> None:
    assert clean_answer(raw) == clean


def test_clean_answer_is_idempotent() -> None:
    for raw in ("Final Answer: $\\boxed{\\text{A}}$.", "答案：（C）。", "The area is 12 square units.", "-\\boxed{5}"):
        once = clean_answer(raw)
        assert clean_answer(once) == once
