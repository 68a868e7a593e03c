"""MathVision / MATH-V (mathllm/MATH-V; HF MathLLMs/MathVision): ``data/test.jsonl`` (3,040) and
``data/testmini.jsonl`` (304).

Rows: ``id``, ``question`` (with ``<image1>``), ``options`` (a list; empty for free-form: a row is multiple
choice iff it has options), ``answer`` (a letter for multiple choice), ``solution``, ``level``, ``subject``.

Official rule, re-derived from ``evaluation/evaluate.py`` and ``utils.py``: case-insensitive; the letter or
the correct option's value counts; numbers (and tuple elements) are equal after rounding to 2 decimals;
otherwise an evaluated LaTeX expression (math-verify here).
"""

from __future__ import annotations

from typing import Any

from vision_r1_plugins.answers import plain_answer
from vision_r1_plugins.core.problems import Problem, field_value
from vision_r1_plugins.eval.answer_forms import bare_answer
from vision_r1_plugins.eval.extraction import Extraction
from vision_r1_plugins.eval.items import FREE_FORM, MULTI_CHOICE, EvalItem
from vision_r1_plugins.eval.tasks.common import same_value
from vision_r1_plugins.eval.tasks.spec import BenchmarkSpec, OfficialResult, register_benchmark

DECIMALS = 2


def _item(raw: dict[str, Any], problem: Problem, spec: BenchmarkSpec) -> EvalItem:
    options = field_value(raw, "options")
    choices = tuple(str(option) for option in options) if isinstance(options, list) and options else None
    return EvalItem(
        question=problem.question,
        answer=problem.answer,
        choices=choices,
        question_type=MULTI_CHOICE if choices else FREE_FORM,
        answer_type="text",
        category=str(field_value(raw, "subject") or "unknown"),
    )


def _equal(prediction: str, gold: str) -> bool:
    left, right = plain_answer(prediction), plain_answer(gold)
    if left.startswith(("(", "[")) and right.startswith(("(", "[")) and "," in left and "," in right:
        parts, golds = left[1:-1].split(","), right[1:-1].split(",")
        return len(parts) == len(golds) and all(_equal(a, b) for a, b in zip(parts, golds, strict=True))
    return same_value(left, right, decimals=DECIMALS)


def official(response: str, extraction: Extraction, item: EvalItem) -> OfficialResult:
    if extraction.text is None:
        return OfficialResult(False, None)
    gold = item.answer.strip()
    if item.question_type == MULTI_CHOICE and item.choices:
        letter = bare_answer(extraction.text, item, item.choices) or ""
        if letter.upper() == gold.upper():
            return OfficialResult(True, letter)
        index = ord(gold.upper()) - ord("A") if len(gold) == 1 else -1
        value = item.choices[index] if 0 <= index < len(item.choices) else None
        correct = value is not None and _equal(extraction.text, value)
        return OfficialResult(correct, letter or plain_answer(extraction.text))
    return OfficialResult(_equal(extraction.text, gold), plain_answer(extraction.text))


MATHVISION = register_benchmark(
    BenchmarkSpec(
        "mathvision",
        "MathVision / MATH-V (test 3,040, testmini 304): letter or option value, numbers rounded to 2 decimals",
        official,
        id="id",
        prompt=("question",),
        images=("decoded_image", "image"),
        choices="options",
        question_type=None,
        answer_type=None,
        precision=None,
        breakdowns=("subject", "level"),
        to_item=_item,
    )
)
