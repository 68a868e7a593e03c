from __future__ import annotations

import pytest

from vision_r1_plugins.reward.values import Quantity, has_relation, parse_quantity


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("x = 5", Quantity("5", None)),
        ("x_{1} = 5 cm", Quantity("5", "cm")),
        ("\\angle ABC = 30^\\circ", Quantity("30", "deg")),
        ("f(2) = 7", Quantity("7", None)),
        ("= 5", Quantity("5", None)),
        ("\\approx 1.73", Quantity("1.73", None, approximate=True)),
        ("approximately 1.73", Quantity("1.73", None, approximate=True)),
        ("\\neq 5", Quantity("5", None, relation=True)),
        ("x < 5", Quantity("5", None, relation=True)),
        ("\\geq 5", Quantity("5", None, relation=True)),
        ("5+", Quantity("5+", None, relation=True)),
        ("at least 5", Quantity("at least 5", None, relation=True)),
        ("\\pm 5", Quantity("\\pm 5", None, plus_minus=True)),
    ],
)
def test_parse_quantity(candidate: str, expected: Quantity) -> None:
    assert parse_quantity(candidate) == expected


def test_relation_golds_are_recognised() -> None:
    assert has_relation("x > 2") and has_relation("x \\geq 5") and has_relation("5 or more")
    assert not has_relation("x = 5") and not has_relation("(1, 2)")
