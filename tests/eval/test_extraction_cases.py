"""The hand-checked extraction cases of tests/eval/extraction_cases.jsonl (written from the rules, not from
this extractor's output): prose, yes/no, labels, boxes (stale and repeated), answer tags, option text,
Chinese and full-width forms, letter-like options, units, percentages, fractions, thousands, -0.0, lists,
hedges and non-answers.

A case gives the answer a careful reader takes from the response (``expected``, null when there is none or
it hedges) and whether that answer is right. Checked for each:

* strict: its verdict is ``correct``;
* official (MathVista's rule): where the reader finds an answer, ours normalises to the same option or value,
  and the verdict is ``correct``. Where the reader finds none, the official rule's chance credit may still
  pick the right option, so only strict is checked.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from vision_r1_plugins.eval.answer_forms import bare_answer
from vision_r1_plugins.eval.extraction import extract
from vision_r1_plugins.eval.items import EvalItem
from vision_r1_plugins.eval.strict_protocol import score_extraction
from vision_r1_plugins.eval.tasks.mathvista import normalize, official

CASES = [
    json.loads(line)
    for line in Path(__file__).with_name("extraction_cases.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
FORMS = {
    "prose",
    "yes_no",
    "final_answer",
    "answer_is",
    "boxed",
    "stale_box",
    "repeated_box",
    "answer_tag",
    "option_text",
    "chinese",
    "fullwidth",
    "letter_like_option",
    "units",
    "percent",
    "frac",
    "thousands",
    "negative_zero",
    "list",
    "hedge",
    "no_answer",
}


def _item(case: dict) -> EvalItem:
    return EvalItem(
        question="",
        answer=case["gold"],
        choices=case["choices"],
        question_type=case["question_type"],
        answer_type=case["answer_type"],
        precision=case["precision"],
    )


def test_the_case_file_covers_every_form() -> None:
    assert len(CASES) >= 150
    assert len({case["id"] for case in CASES}) == len(CASES)
    forms = Counter(case["form"] for case in CASES)
    assert set(forms) == FORMS and min(forms.values()) >= 8
    assert {case["correct"] for case in CASES} == {True, False}


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(case: dict) -> None:
    item = _item(case)
    extraction = extract(case["response"], case["choices"])
    strict = score_extraction(extraction, item)
    assert strict.correct is case["correct"], (extraction, strict)
    if case["expected"] is None:
        return
    verdict = official(case["response"], extraction, item)
    assert verdict.correct is case["correct"], (extraction, verdict)
    if case["correct"]:
        ours = bare_answer(extraction.text, item, case["choices"]) if extraction.text is not None else None
        assert ours is not None and normalize(ours, item) == normalize(case["expected"], item), extraction
