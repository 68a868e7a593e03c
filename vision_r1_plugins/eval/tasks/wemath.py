"""WeMath (We-Math/We-Math): ``data/testmini.json``, 1,740 rows of 525 problems and their sub-steps.

Rows: ``ID`` (the problem, shared by its steps), ``key`` (``2steps_1``, ``2steps_multi``, ...), ``question
number`` (unique; the row id here), ``question``, ``option`` (ONE string ``"A. 8;B. 15; C. 16"``), ``answer``
(a letter), ``knowledge concept``, ``image_path``.

Official rule, re-derived from ``evaluation/accuracy.py``: the text after the last ``Answer``, with ``> < :
.`` removed, must start with the gold letter. Here the rule reads the answer the extractor found (so
``<answer>B</answer>`` and ``\\boxed{B}`` count, which the script's case-sensitive split misses), and the raw
response when the extractor found none, as the script does.
"""

from __future__ import annotations

import re
from typing import Any

from vision_r1_plugins.core.problems import Problem, field_value
from vision_r1_plugins.eval.answer_forms import bare_answer
from vision_r1_plugins.eval.extraction import Extraction
from vision_r1_plugins.eval.items import MULTI_CHOICE, EvalItem
from vision_r1_plugins.eval.tasks.spec import BenchmarkSpec, OfficialResult, register_benchmark

_OPTION = re.compile(r"([A-H])\.\s*(.*?)\s*(?=;\s*[A-H]\.|$)", re.DOTALL)
_STRIPPED = re.compile(r"[><:.]")
LETTERS = "ABCDEFGH"


def parse_options(option: str) -> tuple[str, ...] | None:
    """``"A. 8;B. 15; C. 16"`` -> ("8", "15", "16"), when the letters run from A in order."""
    found = _OPTION.findall(option or "")
    if len(found) < 2 or [letter for letter, _ in found] != list(LETTERS[: len(found)]):
        return None
    return tuple(text.rstrip(";").strip() for _, text in found)


def _item(raw: dict[str, Any], problem: Problem, spec: BenchmarkSpec) -> EvalItem:
    return EvalItem(
        question=problem.question,
        answer=problem.answer,
        choices=parse_options(str(field_value(raw, "option") or "")),
        question_type=MULTI_CHOICE,
        answer_type="text",
        category=str(field_value(raw, "key") or "unknown"),
    )


def first_letter(text: str) -> str | None:
    """The official reading: after the last "Answer", without ``> < : .``, the first character if A-H."""
    tail = _STRIPPED.sub("", text.split("Answer")[-1].strip()).strip()
    return tail[0] if tail and tail[0] in LETTERS else None


def official(response: str, extraction: Extraction, item: EvalItem) -> OfficialResult:
    if extraction.text is not None:
        letter = bare_answer(extraction.text, item, item.choices) or ""
        letter = first_letter(letter)
    else:
        letter = first_letter(response)
    return OfficialResult(letter is not None and letter == item.answer.strip(), letter)


WEMATH = register_benchmark(
    BenchmarkSpec(
        "wemath",
        "WeMath testmini (1,740 rows): the first letter of the answer must be the gold letter",
        official,
        id="question number",
        prompt=("question",),
        images=("decoded_image", "image_path", "image"),
        choices=None,
        question_type=None,
        answer_type=None,
        precision=None,
        breakdowns=("key", "knowledge concept"),
        to_item=_item,
    )
)
