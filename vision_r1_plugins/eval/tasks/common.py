"""Pieces several benchmarks' official rules share."""

from __future__ import annotations

import math
import re

from vision_r1_plugins.answers import plain_answer
from vision_r1_plugins.answers.boxes import boxed_at
from vision_r1_plugins.eval.extraction import Extraction
from vision_r1_plugins.eval.items import EvalItem
from vision_r1_plugins.eval.numbers import numeric_value
from vision_r1_plugins.eval.strict_protocol import math_equal, score_extraction
from vision_r1_plugins.eval.tasks.spec import OfficialResult

_INLINE_CHOICE = re.compile(r"\(([A-H])\)\s*(.*?)\s*(?=\([A-H]\)|$)", re.DOTALL)


def strict_rule(response: str, extraction: Extraction, item: EvalItem) -> OfficialResult:
    """For a layout with no published rule of its own: the strict protocol's verdict."""
    result = score_extraction(extraction, item)
    return OfficialResult(result.correct, result.normalized)


def boxed_contents(text: str) -> list[str]:
    """Every ``\\boxed{..}`` content of ``text`` in order (non-empty ones)."""
    found = []
    position = text.find("\\boxed")
    while position >= 0:
        content, end = boxed_at(text, position)
        if content is not None and content.strip():
            found.append(content.strip())
        position = text.find("\\boxed", end if end > 0 else position + 1)
    return found


def inline_choices(question: str) -> tuple[str, ...] | None:
    """Options written on one line after "Choices:": ``Choices: (A) yes (B) no`` (DynaMath)."""
    marker = question.rfind("Choices:")
    if marker < 0:
        return None
    options = _INLINE_CHOICE.findall(question[marker + len("Choices:") :])
    letters = [letter for letter, _ in options]
    if len(options) < 2 or letters != [chr(ord("A") + index) for index in range(len(options))]:
        return None
    return tuple(text for _, text in options)


def same_value(prediction: str, gold: str, *, decimals: int | None = None, tolerance: float | None = None) -> bool:
    """Whether two answers are equal: as strings after cleaning, as numbers (rounded to ``decimals`` or within
    ``tolerance``), else by math-verify."""
    left, right = plain_answer(prediction).strip(), plain_answer(gold).strip()
    if not left or not right:
        return False
    if left.lower() == right.lower():
        return True
    a, b = numeric_value(left), numeric_value(right)
    if a is not None and b is not None and math.isfinite(a) and math.isfinite(b):
        if decimals is not None:
            return round(a, decimals) == round(b, decimals)
        if tolerance is not None:
            return abs(a - b) <= tolerance
        return a == b
    return math_equal(left, right)
