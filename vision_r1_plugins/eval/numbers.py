"""Numbers as benchmark answers write them: units, ``x =``, thousands separators, LaTeX values, lists."""

from __future__ import annotations

import math
import re

from vision_r1_plugins.answers import plain_answer, read_answer

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_UNIT_WORD = r"(?:\\(?:text|mathrm|mbox|textrm|rm)\s*\{\s*[A-Za-z][A-Za-z .]*\}|[A-Za-z][A-Za-z.]*(?: [A-Za-z.]+){0,2})"
_POWER = r"(?:\s*\^\s*\{?\s*[23]\s*\}?|[²³])?"
_DEGREE_OR_PERCENT = r"(?:\^\s*\{?\s*\\circ\s*\}?|°|\\degree|\\%|%)"
_NUMBER_WITH_UNIT = re.compile(
    rf"\s*(?P<number>{_NUMBER})\s*(?:{_DEGREE_OR_PERCENT}|{_UNIT_WORD}{_POWER}(?:\s*/\s*{_UNIT_WORD}{_POWER})?)?\s*"
)
_DECIMALS = re.compile(r"\d*\.(\d+)")
_THOUSANDS = re.compile(r"(?<=\d)[, ](?=\d{3}(?!\d))")
_RELATION = re.compile(r"=|\\approx|≈|\\simeq|\\equiv")
_THIN_SPACE = re.compile(r"\\[,!]")
_SPACING = re.compile(r"\\[;: ]|\\q?quad\b|~")
_LIST_SEPARATOR = re.compile(r"\s*(?:[,;]|\band\b)\s*")
_BRACKETS = {"[": "]", "(": ")", "{": "}"}
_DIGIT = re.compile(r"\d")


def number_with_literal(text: str) -> tuple[float, bool] | None:
    """(value, whether it was a decimal literal) of a number: one the answer reader reads as a single exact
    number (``\\frac{4}{5}``, ``x = 5``, ``12 cm``, ``1,200``, ``45%``), else a number followed by up to three
    words of unit in prose ("12 apples", the benchmarks' official rules accept those)."""
    reading = read_answer(text)
    # Digits only: MathVista's normalisation (float(x)) reads no number words.
    if reading.complete and len(reading.values) == 1 and reading.values[0].exact is not None and _DIGIT.search(text):
        value = reading.values[0]
        number = float(value.exact)
        return (number, value.places is not None) if math.isfinite(number) else None
    text = plain_spacing(plain_answer(text)).replace("−", "-").replace("\\$", "").replace("$", "")
    relations = list(_RELATION.finditer(text))
    if relations:
        text = text[relations[-1].end() :]
    match = _NUMBER_WITH_UNIT.fullmatch(_THOUSANDS.sub("", text))
    if match:
        number = float(match.group("number"))
        return (number, True) if math.isfinite(number) else None
    return None


def plain_spacing(text: str) -> str:
    """LaTeX spacing as plain text: ``1\\,200`` and ``1{,}200`` are thousands separators, not lists."""
    return _SPACING.sub(" ", _THIN_SPACE.sub("", text.replace("{,}", ",")))


def decimals(gold: str) -> int:
    """Decimals the gold is written with: MathVista's precision is exactly that."""
    match = _DECIMALS.search(gold)
    return len(match.group(1)) if match else 0


def number_list(text: str) -> list[int | float] | None:
    text = text.replace("\\{", "{").replace("\\}", "}").strip()
    if text[:1] in _BRACKETS and text.endswith(_BRACKETS[text[0]]):
        text = text[1:-1]
    numbers: list[int | float] = []
    for part in _LIST_SEPARATOR.split(text):
        value = number_with_literal(part) if part else None
        if value is None:
            return None
        numbers.append(int(value[0]) if value[0] == int(value[0]) else value[0])
    return numbers


def numeric_value(text: str) -> float | None:
    """The number ``text`` states (``12 cm``, ``x = 5``, ``1,200``, ``\\frac{4}{5}``, ``45%`` -> 45), or None."""
    found = number_with_literal(text)
    return None if found is None else found[0]


_CONSTANT = re.compile(r"[\d\s.+\-*/^(){}\\a-z]+")
_MAX_CONSTANT_CHARS = 60


def constant_value(text: str) -> float | None:
    """The value of a short constant LaTeX expression (``\\pi``, ``2\\sqrt{3}``, ``\\frac{\\pi}{2}``); None for
    anything with a free variable, or too long to evaluate safely in-process."""
    if len(text) > _MAX_CONSTANT_CHARS or text.count("^") > 2 or not _CONSTANT.fullmatch(text):
        return None
    from math_verify import parse  # math-verify parses LaTeX into sympy; imported only when needed

    try:
        parsed = parse(f"${text}$")
        if not parsed or getattr(parsed[0], "free_symbols", True):
            return None
        value = float(parsed[0].evalf())
    except Exception:  # sympy raises many types on odd input; such a value is no constant
        return None
    return value if math.isfinite(value) else None
