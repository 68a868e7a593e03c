"""Units after a value, named by a real unit registry (pint): ``cm``, ``centimetres`` and ``cm^2`` are the
registry's ``centimeter`` and ``centimeter ** 2``; ``km/h`` is ``kilometer / hour``.

Only the unit's identity is compared, never a conversion: a gold in centimetres wants centimetres. The registry
is loaded on first use (half a second), once per process.
"""

from __future__ import annotations

import functools
import re

from vision_r1_plugins.answers.lexicon import CURRENCY_WORDS, WORDS

# Single letters are units only for these (after a number: "5 m", "5 g"); a capital letter is an option.
SINGLE_LETTER_UNITS = frozenset("mgshlL")
# Symbols (short spellings) the registry resolves that answers use; any other short spelling the registry knows
# ("ab" is an attobarn, "rs" a rontosecond) is read as letters, not a unit. Names of four letters or more
# ("newtons", "furlongs") are looked up as they are.
SYMBOLS = frozenset(
    "mm cm dm km nm um in ft yd mi mg kg lb lbs oz ml mL cl dl kl ms min hr hrs sec yr yrs wk rad deg sr Hz kHz MHz "
    "GHz kN kJ MJ kW MW mV kV mA Pa kPa MPa atm bar mol cal kcal eV mph kph ha cc gal qt".split()
)
# Words the registry knows as units but that English uses as function words ("5 are", "5 as").
_NOT_UNITS = frozenset(
    {
        "a",
        "an",
        "as",
        "at",
        "are",
        "am",
        "be",
        "by",
        "do",
        "he",
        "if",
        "is",
        "it",
        "me",
        "my",
        "no",
        "of",
        "on",
        "or",
        "so",
        "to",
        "up",
        "us",
        "we",
        "pi",
        "e",
        "can",
        "point",
        "points",
        "bar",
        "bars",
        "counts",
        "count",
        "number",
        "dozen",
        "percentage",
        "unit",
        "units",
        "one",
        "ones",
        "tab",
        "pixel",
        "pixels",
        "dot",
        "dots",
    }
)
# Dimensionless registry entries that are real answer units.
_DIMENSIONLESS_UNITS = frozenset({"degree", "radian", "percent", "turn", "revolution", "arcminute", "arcsecond"})
GENERIC = "units"  # counting words ("5 items", "12 square units"): never in conflict with a unit


@functools.lru_cache(maxsize=1)
def _registry():
    import pint

    return pint.UnitRegistry()


@functools.lru_cache(maxsize=4096)
def unit_name(word: str) -> str | None:
    """The registry's name for a unit word (``cm`` -> ``centimeter``), or None when it is no unit."""
    if word.lower() in CURRENCY_WORDS:
        return CURRENCY_WORDS[word.lower()]
    if len(word) == 1 and word not in SINGLE_LETTER_UNITS:
        return None
    if word.lower() in _NOT_UNITS or (len(word) > 1 and WORDS.get(word.lower()) not in (None, "NOUN", "ADJ")):
        return None
    if 1 < len(word) < 4 and word not in SYMBOLS:
        return None
    if not re.fullmatch(r"[A-Za-zµμΩ°]+", word):
        return None
    registry = _registry()
    try:
        unit = registry.parse_units(word)
    except Exception:  # pint raises several error types for unknown or malformed names
        return None
    name = str(unit)
    if not unit.dimensionality and name not in _DIMENSIONLESS_UNITS:
        return None
    return name


@functools.lru_cache(maxsize=4096)
def canonical_unit(expression: str) -> str | None:
    """A unit expression built from unit names (``centimeter ** 2``, ``kilometer / hour``) in the registry's
    canonical spelling, so that ``square centimeters`` and ``cm^2`` are one unit."""
    if expression in CURRENCY_WORDS.values():
        return expression
    try:
        return str(_registry().parse_units(expression))
    except Exception:  # unknown combination
        return None
