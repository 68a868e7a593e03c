"""DynaMath (DynaMath/DynaMath; HF DynaMath/DynaMath_Sample): 501 seed questions, ten generated variants each.

Layouts: GitHub's ``10trials/trial{N}/dataset.json`` (an object keyed by seed id: question, answer, image,
answer_type, subject, level) or HF's splits ``sample_variant1..10`` (id, question, ground_truth, answer_type,
subject, knowledge_level, decoded_image). Give the folder that holds the ten; one file reads as one variant.
A row's id is ``"<seed id>:<variant>"``.

Official rule, re-derived from ``evaluation/opensource_json_eval.py``, on the short answer: float answers are
right within 0.001 (absolute; a ``π`` suffix multiplies); multiple choice by exact letter (a longer answer
passes when the gold letter is in its first three characters); every other type when the gold is a substring
of the answer. Reported: average accuracy over all variants and worst-case accuracy, where a seed question
counts only if every one of its variants is right.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vision_r1_plugins.answers import plain_answer
from vision_r1_plugins.core.problems import Problem, field_value
from vision_r1_plugins.core.rows import InputError, read_rows
from vision_r1_plugins.eval.answer_forms import bare_answer
from vision_r1_plugins.eval.extraction import Extraction
from vision_r1_plugins.eval.items import FREE_FORM, MULTI_CHOICE, EvalItem
from vision_r1_plugins.eval.tasks.common import inline_choices
from vision_r1_plugins.eval.tasks.spec import BenchmarkSpec, OfficialResult, register_benchmark

TOLERANCE = 1e-3
_VARIANT = re.compile(r"(?:trial|variant)[_-]?(\d+)", re.IGNORECASE)


def read_variants(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of every variant under ``path``, each with ``variant`` and ``row_id`` added."""
    if path.is_dir():
        sources = sorted(
            [*path.rglob("dataset.json"), *path.rglob("*.parquet"), *path.rglob("*.jsonl")],
            key=lambda source: (_variant_of(source) or 0, str(source)),
        )
        sources = [source for source in sources if _variant_of(source) is not None]
        if not sources:
            raise InputError(f"{path}: no DynaMath variants found (trial<N>/dataset.json or sample_variant<N> files)")
    else:
        sources = [path]
    for source in sources:
        variant = _variant_of(source) or 1
        for row in read_rows(source):
            if not isinstance(row, dict):
                yield row
                continue
            row = dict(row)
            if "answer" not in row and "ground_truth" in row:
                row["answer"] = row["ground_truth"]
            if "level" not in row and "knowledge_level" in row:
                row["level"] = row["knowledge_level"]
            seed = str(row.get("id", ""))
            row["variant"] = variant
            row["row_id"] = f"{seed}:{variant}"
            yield row


def _variant_of(source: Path) -> int | None:
    for part in reversed(source.parts):
        match = _VARIANT.search(part)
        if match:
            return int(match.group(1))
    return None


def _item(raw: dict[str, Any], problem: Problem, spec: BenchmarkSpec) -> EvalItem:
    answer_type = str(field_value(raw, "answer_type") or "text").strip().lower()
    multi_choice = answer_type == "multiple choice"
    return EvalItem(
        question=problem.question,
        answer=problem.answer,
        choices=inline_choices(problem.question) if multi_choice else None,
        question_type=MULTI_CHOICE if multi_choice else FREE_FORM,
        answer_type={"float": "float", "int": "integer"}.get(answer_type, "text"),
        category=str(field_value(raw, "subject") or "unknown"),
    )


def _float(text: str) -> float | None:
    text = text.strip()
    scale = 1.0
    if text.endswith(("π", "\\pi")):
        scale, text = math.pi, text.removesuffix("π").removesuffix("\\pi").strip() or "1"
    if not text.replace(".", "", 1).lstrip("-").isdigit():
        text = text.split(" ")[0]
    try:
        return float(text) * scale
    except ValueError:
        return None


def official(response: str, extraction: Extraction, item: EvalItem) -> OfficialResult:
    if extraction.text is None:
        return OfficialResult(False, None)
    answer = plain_answer(extraction.text).replace("\\", "")
    gold = item.answer.strip()
    if item.answer_type == "float":
        value, target = _float(bare_answer(extraction.text, item) or ""), _float(gold)
        correct = value is not None and target is not None and abs(value - target) <= TOLERANCE
        return OfficialResult(correct, None if value is None else repr(value))
    if item.question_type == MULTI_CHOICE:
        letter = bare_answer(extraction.text, item, item.choices) or answer
        correct = letter == gold if len(letter) == 1 else gold in letter[:3]
        return OfficialResult(correct, letter)
    return OfficialResult(bool(gold) and gold in answer, answer)


DYNAMATH = register_benchmark(
    BenchmarkSpec(
        "dynamath",
        "DynaMath (501 seeds x 10 variants): float within 1e-3, letter, substring; average and worst case",
        official,
        id="row_id",
        prompt=("question",),
        images=("decoded_image", "image"),
        choices=None,
        question_type=None,
        precision=None,
        breakdowns=("subject", "level"),
        to_item=_item,
        group="id",
        read=read_variants,
    )
)
