"""MathVerse (ZrrSkywalker/MathVerse; HF AI4Math/MathVerse): testmini, 788 problems in five versions each.

Rows: ``sample_index`` (the row id), ``problem_index`` (ties the versions), ``problem_version`` (Text Dominant,
Text Lite, Vision Intensive, Vision Dominant, Vision Only), ``question`` with the options inline
(``Choices:\\nA:40°\\nB:60°``; empty for Vision Only), ``answer`` (a letter for ``multi-choice``),
``query_cot``/``query_wo`` (the prompts), ``metadata`` {subject, subfield}.

Official rule: a GPT extraction judged by GPT (``evaluation/score_answer_s2.py``), whose prompt accepts the
letter or the correct option's value; ``--quick_match`` is exact string equality. Re-derived without a judge:
multiple choice is right when the extracted letter is the gold letter or the extracted text is the gold
option's value; free-form answers are judged equal as the strict protocol does (numbers, then math-verify).
"""

from __future__ import annotations

from typing import Any

from vision_r1_plugins.answers import plain_answer
from vision_r1_plugins.answers.judge import gold_option_index
from vision_r1_plugins.core.problems import Problem, field_value
from vision_r1_plugins.eval.answer_forms import bare_answer
from vision_r1_plugins.eval.extraction import Extraction
from vision_r1_plugins.eval.items import FREE_FORM, MULTI_CHOICE, EvalItem
from vision_r1_plugins.eval.strict_protocol import choices_from_question
from vision_r1_plugins.eval.tasks.common import strict_rule
from vision_r1_plugins.eval.tasks.spec import BenchmarkSpec, OfficialResult, Subset, register_benchmark

VISION_ONLY = "Vision Only"


def _item(raw: dict[str, Any], problem: Problem, spec: BenchmarkSpec) -> EvalItem:
    # The options are in `question` (or `question_for_eval` in the HF copy); Vision Only rows show them only
    # in the image, where a letter is all there is to compare.
    text = field_value(raw, "question") or field_value(raw, "question_for_eval") or problem.question
    multi_choice = "choice" in str(field_value(raw, "question_type") or "")
    return EvalItem(
        question=str(text),
        answer=problem.answer,
        choices=choices_from_question(str(text)) if multi_choice else None,
        question_type=MULTI_CHOICE if multi_choice else FREE_FORM,
        answer_type="text",
        category=str(field_value(raw, "problem_version") or "unknown"),
    )


def official(response: str, extraction: Extraction, item: EvalItem) -> OfficialResult:
    if item.question_type != MULTI_CHOICE:
        return strict_rule(response, extraction, item)
    if extraction.text is None:
        return OfficialResult(False, None)
    letter = bare_answer(extraction.text, item, item.choices)
    gold = item.answer.strip()
    if letter == gold:
        return OfficialResult(True, letter)
    index = gold_option_index(gold, item.choices)
    if item.choices and index is not None and 0 <= index < len(item.choices):
        value = plain_answer(item.choices[index])
        if plain_answer(extraction.text).replace(" ", "") == value.replace(" ", ""):
            return OfficialResult(True, letter)
    return OfficialResult(False, letter)


MATHVERSE_TESTMINI = register_benchmark(
    BenchmarkSpec(
        "mathverse_testmini",
        "MathVerse testmini (3,940 rows = 788 problems x 5 versions): letter or option value; free-form equality",
        official,
        id="sample_index",
        prompt=("query_cot", "question_for_eval", "question"),
        images=("decoded_image", "image"),
        choices=None,
        breakdowns=("problem_version", "metadata.subject", "metadata.subfield"),
        to_item=_item,
        subsets=(Subset("vision_only", "problem_version", VISION_ONLY),),
    )
)
