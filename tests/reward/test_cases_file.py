"""Every hand-labelled case in tests/reward/reward_cases.jsonl, scored through the public function."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from vision_r1_plugins.reward import compute_score
from vision_r1_plugins.reward.reasons import Reason

CASES_PATH = Path(__file__).with_name("reward_cases.jsonl")
CASES = [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_case_file_is_well_formed() -> None:
    assert len(CASES) >= 150
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    tags = Counter(case["tag"] for case in CASES)
    assert {"format", "mc", "multi_candidate", "bad_gt", "hack", "sum_mode", "boxed_style"} <= set(tags)
    assert {case["expected_score"] for case in CASES} <= {0.0, 1.0, 2.0}
    reasons = {str(reason) for reason in Reason}
    for case in CASES:
        assert case.get("expected_reason") in reasons, (case["id"], case.get("expected_reason"))
        if case["expected_score"] == 0.0:  # a response that scores nothing always says why
            assert case["expected_reason"] != Reason.OK, case["id"]


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(case: dict) -> None:
    extra = {"choices": case["choices"]} if case.get("choices") else None
    result = compute_score("cases", case["response"], case["ground_truth"], extra, **case.get("options", {}))
    assert result["score"] == case["expected_score"], (result, case.get("note"))
    assert result["reason"] == case["expected_reason"], (result, case.get("note"))
    assert set(result) == {"score", "format_ok", "answer_ok", "pred", "reason"}
