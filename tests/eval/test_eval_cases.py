"""Every hand-checked scoring case in tests/eval/eval_cases.jsonl, plus extraction on adversarially long responses."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from vision_r1_plugins.eval.extraction import extract
from vision_r1_plugins.eval.strict_protocol import EvalItem, score_item

CASES_PATH = Path(__file__).with_name("eval_cases.jsonl")
CASES = [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]


def _item(fields: dict) -> EvalItem:
    return EvalItem(**{key: tuple(value) if key == "choices" and value else value for key, value in fields.items()})


def test_case_file_covers_every_answer_type() -> None:
    assert len(CASES) >= 80
    assert len({case["id"] for case in CASES}) == len(CASES)
    answer_types = Counter(case["item"].get("answer_type", "text") for case in CASES)
    assert {"integer", "float", "text", "list"} <= set(answer_types)
    question_types = Counter(case["item"].get("question_type", "free_form") for case in CASES)
    assert {"multi_choice", "free_form"} <= set(question_types)
    assert any(not case["expected_correct"] for case in CASES) and any(case["expected_correct"] for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(case: dict) -> None:
    result = score_item(case["response"], _item(case["item"]))
    assert result.correct is case["expected_correct"], result
    if case.get("expected_extracted") is not None:
        assert result.extracted == case["expected_extracted"], result
    if case.get("expected_method"):
        assert result.method == case["expected_method"], result


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("response", "expected"),
    [
        # The answer block wins over the thinking, its "Final Answer:" prefix and padding stripped.
        (
            "<think>" + "Wait, let me check. " * 10_000 + "</think><answer> Final Answer: 7 </answer>",
            ("7", "answer_tag"),
        ),
        # No box is closed; the last one, at the end of the reply, reads to its line's end (a reply cut off at the
        # token limit inside its box, "\\boxed{D.", states D).
        ("\\boxed{" * 50_000 + "7", ("7", "boxed")),
        # Opening tags only: the last block is empty and 320K characters of tags are no bare reply.
        ("<answer>" * 40_000, (None, "none")),
        # Only the last "the answer is" counts, and what follows it is the 7.
        ("The answer is " * 15_000 + "7", ("7", "answer_is")),
    ],
    ids=["long-thinking", "open-boxes", "answer-tags", "answer-is"],
)
def test_extraction_is_linear_on_200k_characters(response: str, expected: tuple[str | None, str]) -> None:
    found = extract(response)
    assert (found.text, found.method) == expected
