from __future__ import annotations

import pytest

from vision_r1_plugins.reward.candidates import count_candidates, split_candidates


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
        ("1\\,000", 1),
        ("12\\,\\text{cm}^2", 1),
        ("4 \\sqrt{2}", 1),
        ("2 \\pi", 1),
        ("5 6", 2),
        ("5~or~6", 2),
        ("5 |6", 2),
        ("|x|", 1),
        ("5\\\\6", 2),
        ("5,6", 2),
        ("5、6", 2),
        ("5;6", 2),
        ("5或6", 2),
        ("5 (or 6)", 2),
        ("A (possibly C)", 2),
        ("x = 5\nx = 6", 2),
        ("x_1 = 5 \\quad x_2 = 6", 2),
        ("\\begin{cases} x=5 \\\\ x=6 \\end{cases}", 2),
        ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", 1),
        ("$5$ $6$", 2),
        ("5 \\cup 6", 2),
        ("5 \\texttt{ or } 6", 2),
        ("5 \\operatorname{or} 6", 2),
        ("yes/no", 2),
        ("3/4", 1),
        ("\\boxed{5}, \\boxed{6}", 2),
    ],
)
def test_count_candidates(text: str, count: int) -> None:
    assert count_candidates(text) == count


def test_split_candidates_keeps_each_value_whole() -> None:
    assert split_candidates("x = 5 \\quad x = 6") == ["x = 5", "x = 6"]
    assert split_candidates("12\\,\\text{cm}, 13\\,\\text{cm}") == ["12 cm", "13 cm"]
    assert split_candidates("(1, 2) or (3, 4)") == ["(1, 2)", "(3, 4)"]
    assert split_candidates("Therefore, 5") == ["Therefore", "5"]
