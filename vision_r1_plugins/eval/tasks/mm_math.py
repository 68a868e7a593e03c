"""MM-Math (kge-sun/MM-Math; HF THU-KEG/MM_Math): 5,929 middle-school problems, ``MM_Math.jsonl``.

Rows: ``question``, ``file_name`` (the image; the row id here), ``solution`` (the gold answer is what its
``\\boxed{}`` hold; there is no answer column), ``year``, ``difficult`` (容易/普通/困难), ``knowledge``.

Official rule, re-derived from ``eval.py``: every box of the solution against every box of the response,
split at top-level commas and ``\\pm``, the same number of items, matched in any order; two items are equal
as strings, as numbers within 1e-2 (x1.01), also when one is 100 times the other (percent forms), else
symbolically (sympy's LaTeX parser there; math-verify here). A response with no box is read through the
extractor (as VLMEvalKit does); the released script needs a box and, as released, scores every item wrong
(it reads ``args.ground_solution`` but defines ``--ground_soluation``): that behaviour is not reproduced.
"""

from __future__ import annotations

import re
from typing import Any

from vision_r1_plugins.answers import plain_answer
from vision_r1_plugins.core.problems import Problem, field_value
from vision_r1_plugins.eval.extraction import Extraction
from vision_r1_plugins.eval.items import FREE_FORM, EvalItem
from vision_r1_plugins.eval.numbers import constant_value, numeric_value
from vision_r1_plugins.eval.strict_protocol import math_equal
from vision_r1_plugins.eval.tasks.common import boxed_contents
from vision_r1_plugins.eval.tasks.spec import BenchmarkSpec, OfficialResult, register_benchmark
from vision_r1_plugins.generation.thinking import THINK_CLOSE

TOLERANCE = 1e-2 * 1.01
_UNITS = re.compile(
    r"(?:\\(?:text|mathrm)\s*\{\s*(?:cm|m|km|mm|厘米|米|千米|度)\s*\}|厘米|平方米|米|cm\^?2?|°|\^\s*\{?\\circ\}?)"
)


class NoGold(ValueError):
    """A row whose solution boxes no answer."""


def _item(raw: dict[str, Any], problem: Problem, spec: BenchmarkSpec) -> EvalItem:
    golds = boxed_contents(str(field_value(raw, "solution") or ""))
    if not golds:
        raise NoGold("the solution has no \\boxed{} answer")
    return EvalItem(
        question=problem.question,
        answer=", ".join(golds),
        golds=tuple(golds),
        question_type=FREE_FORM,
        answer_type="text",
        category=str(field_value(raw, "difficult") or "unknown"),
    )


def items_of(answers: list[str]) -> list[str]:
    """Answers split into items: top-level commas separate them, ``a \\pm b`` is two."""
    items: list[str] = []
    for answer in answers:
        depth, start = 0, 0
        for index, char in enumerate(answer + ","):
            if char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
            elif char in ",，" and depth <= 0:
                part = answer[start:index].strip()
                start = index + 1
                if "\\pm" in part:
                    items.extend(part.replace("\\pm", sign, 1) for sign in ("+", "-"))
                elif part:
                    items.append(part)
    return items


def _clean(item: str) -> str:
    return _UNITS.sub("", plain_answer(item).replace("\\left", "").replace("\\right", "").replace("$", "")).strip()


def _number(text: str) -> float | None:
    """A plain number, or the value of a constant expression (``\\pi``, ``\\sqrt{3}``, ``\\frac{1}{2}``)."""
    value = numeric_value(text)
    return value if value is not None else constant_value(text)


def equal_items(prediction: str, gold: str) -> bool:
    left, right = _clean(prediction), _clean(gold)
    if left == right:
        return bool(left)
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return any(abs(b * scale - a) <= TOLERANCE for scale in (0.01, 1.0, 100.0))
    return math_equal(left, right)


def official(response: str, extraction: Extraction, item: EvalItem) -> OfficialResult:
    close = response.rfind(THINK_CLOSE)
    reply = response[close + len(THINK_CLOSE) :] if close >= 0 else response
    predicted = boxed_contents(reply) or ([extraction.text] if extraction.text else [])
    predictions, golds = items_of(predicted), items_of(list(item.golds or (item.answer,)))
    normalized = ", ".join(predictions) or None
    if not predictions or len(predictions) != len(golds):
        return OfficialResult(False, normalized)
    unused = list(predictions)
    for gold in golds:
        match = next((index for index, candidate in enumerate(unused) if equal_items(candidate, gold)), None)
        if match is None:
            return OfficialResult(False, normalized)
        unused.pop(match)
    return OfficialResult(True, normalized)


MM_MATH = register_benchmark(
    BenchmarkSpec(
        "mm_math",
        "MM-Math (5,929 rows): all boxes of the solution vs the response, unordered, numbers within 1e-2",
        official,
        id="file_name",
        prompt=("question",),
        images=("decoded_image", "image", "file_name"),
        answer="solution",
        choices=None,
        question_type=None,
        answer_type=None,
        precision=None,
        breakdowns=("difficult", "year"),
        to_item=_item,
    )
)
