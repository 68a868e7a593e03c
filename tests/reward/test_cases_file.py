"""Every hand-labelled case in tests/reward/reward_cases.jsonl, scored through the public function."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from vision_r1_plugins.reward import Reason, compute_score

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
    assert set(result) == {"score", "format_ok", "answer_ok", "pred", "reason", "detail"}
    assert bool(result["detail"]) is (result["reason"] == Reason.UNRECOGNIZED_CONTENT)


# Cases written from the rules in README's reward spec (issue 13): exploits a GRPO policy finds and natural
# correct answers in English, Chinese and LaTeX. ``answer`` goes inside a fixed, normal think block.
RULE_CASES_PATH = Path(__file__).with_name("reward_rule_cases.jsonl")
RULE_CASES = [json.loads(line) for line in RULE_CASES_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
RULES = {
    "candidates",
    "relations",
    "boxes",
    "caps",
    "invisible",
    "units",
    "formatting",
    "ground_truth",
    "multiple_choice",
    "natural",
}
THINK = "<think>\nWorking through the figure step by step.\n</think>\n"


def test_rule_case_file_is_well_formed() -> None:
    assert len(RULE_CASES) >= 300
    ids = [case["id"] for case in RULE_CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    assert {case["rule"] for case in RULE_CASES} == RULES
    reasons = {str(reason) for reason in Reason}
    for case in RULE_CASES:
        assert ("answer" in case) != ("response" in case), case["id"]
        assert case["expected_reason"] in reasons, case["id"]
        assert case["expected_score"] == (1.0 if case["expected_reason"] == Reason.OK else 0.0), case["id"]


@pytest.mark.parametrize("case", RULE_CASES, ids=[case["id"] for case in RULE_CASES])
def test_rule_case(case: dict) -> None:
    response = case["response"] if "response" in case else f"{THINK}<answer>{case['answer']}</answer>"
    extra = {"choices": case["choices"]} if case.get("choices") else None
    result = compute_score("rules", response, case["ground_truth"], extra)
    assert (result["reason"], result["score"]) == (case["expected_reason"], case["expected_score"]), (
        result,
        case["note"],
    )


# Red-team cases (issue 13): answers written to exploit the reward or as models normally write them, each
# labelled 0 or 1 by applying README's rules of the time. A case the reward gets wrong would be marked
# ``known_limitation`` and expected to fail (strict), so a fix shows up here. Labels the answer language of
# issue 22 changed carry a ``relabel`` note saying why.
REDTEAM_PATH = Path(__file__).with_name("reward_redteam_cases.jsonl")
REDTEAM = [json.loads(line) for line in REDTEAM_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]


def _redteam_param(case: dict):
    marks = [pytest.mark.xfail(strict=True, reason="known limitation")] if case.get("known_limitation") else []
    return pytest.param(case, id=case["id"], marks=marks)


@pytest.mark.parametrize("case", [_redteam_param(case) for case in REDTEAM])
def test_redteam_case(case: dict) -> None:
    response = case["response"] if "response" in case else f"{THINK}<answer>{case['answer']}</answer>"
    extra = {"choices": case["choices"]} if case.get("choices") else None
    result = compute_score("redteam", response, case["ground_truth"], extra)
    assert result["reason"] != Reason.INTERNAL_ERROR
    assert result["score"] == case["expected_score"], (result, case["group"])


# The second red team (issue 22): 2,525 cases written from README's answer language by testers who never saw the
# code, 1,418 natural answers and 1,107 exploits, each labelled 0 or 1 by applying the rules. Labels changed
# afterwards say why in ``relabel`` (a rule README left out, or a gap the testers found and the reader closed).
REDTEAM2_PATH = Path(__file__).with_name("reward_redteam2_cases.jsonl")
REDTEAM2 = [json.loads(line) for line in REDTEAM2_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_second_red_team_file_is_well_formed() -> None:
    assert len(REDTEAM2) >= 500
    assert len({case["id"] for case in REDTEAM2}) == len(REDTEAM2)
    kinds = Counter(case["kind"] for case in REDTEAM2)
    assert set(kinds) == {"natural", "exploit"} and kinds["natural"] >= len(REDTEAM2) / 2
    assert {case["expected_score"] for case in REDTEAM2} == {0.0, 1.0}
    assert all(("relabel" in case) == ("original_score" in case) for case in REDTEAM2)


@pytest.mark.parametrize("case", REDTEAM2, ids=[case["id"] for case in REDTEAM2])
def test_second_red_team_case(case: dict) -> None:
    extra = {"choices": case["choices"]} if case.get("choices") else None
    result = compute_score("redteam2", f"{THINK}<answer>{case['answer']}</answer>", case["ground_truth"], extra)
    assert result["reason"] != Reason.INTERNAL_ERROR
    assert result["score"] == case["expected_score"], (result, case["why"])
