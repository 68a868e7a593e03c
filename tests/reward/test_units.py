from __future__ import annotations

import pytest

from vision_r1_plugins.reward.units import split_unit, units_conflict


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("12 cm", "12", "cm"),
        ("12cm", "12", "cm"),
        ("12 \\,cm^2", "12", "cm^2"),
        ("12 cm^{2}", "12", "cm^2"),
        ("12 square centimeters", "12", "cm^2"),
        ("12 square units", "12", "units"),
        ("30^\\circ", "30", "deg"),
        ("30^{\\circ}", "30", "deg"),
        ("30°", "30", "deg"),
        ("30 degrees", "30", "deg"),
        ("\\frac{\\pi}{6} rad", "\\frac{\\pi}{6}", "rad"),
        ("5 kg", "5", "kg"),
        ("50\\%", "50", "%"),
        ("3\\pi cm", "3\\pi", "cm"),
        ("12 apples", "12", "apple"),
        ("12 厘米", "12", "cm"),
        ("2x", "2x", None),
        ("\\pi r", "\\pi r", None),
        ("3 pi", "3 pi", None),
        ("5", "5", None),
    ],
)
def test_split_unit(text: str, value: str, unit: str | None) -> None:
    assert split_unit(text) == (value, unit)


def test_units_conflict_only_when_both_sides_name_one() -> None:
    assert units_conflict("cm", "m") and units_conflict("kg", "cm") and units_conflict("rad", "deg")
    assert not units_conflict("cm", None) and not units_conflict(None, "cm") and not units_conflict("cm", "cm")
    assert not units_conflict("units", "cm")
