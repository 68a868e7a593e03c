"""``vision-r1 infer`` shows exactly the answer ``vision-r1 eval score`` scores: every case of
extraction_cases.jsonl goes through both, the question carrying its options as lines the way a user types them
to ``infer``, the benchmark row carrying them as data the way ``eval`` reads them."""

from __future__ import annotations

import json
from pathlib import Path

from vision_r1_plugins.eval.infer import split_answer
from vision_r1_plugins.eval.score_responses import ScoreConfig, score_responses

CASES = [
    json.loads(line)
    for line in Path(__file__).with_name("extraction_cases.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]


def _question(case: dict) -> str:
    options = case["choices"] or []
    return "\n".join(
        ["Answer the question about the figure.", *(f"({chr(65 + i)}) {text}" for i, text in enumerate(options))]
    )


def test_infer_shows_what_eval_scores_on_every_extraction_case(tmp_path: Path) -> None:
    data, responses = tmp_path / "bench.jsonl", tmp_path / "responses.jsonl"
    with data.open("w", encoding="utf-8") as rows, responses.open("w", encoding="utf-8") as replies:
        for case in CASES:
            row = {
                "id": case["id"],
                "images": [],
                "query": _question(case),
                "answer": case["gold"],
                "question_type": case["question_type"],
                "answer_type": case["answer_type"],
                "choices": case["choices"],
                "precision": case["precision"],
            }
            rows.write(json.dumps(row) + "\n")
            replies.write(json.dumps({"id": case["id"], "response": case["response"]}) + "\n")
    score_responses(ScoreConfig(responses, "vision_r1", data, tmp_path / "run"))
    scored = {row["id"]: row for row in map(json.loads, (tmp_path / "run" / "rows.jsonl").open(encoding="utf-8"))}
    assert set(scored) == {case["id"] for case in CASES}
    shown = {case["id"]: split_answer(case["response"], _question(case))[1] for case in CASES}
    differ = {key: (shown[key], row["extracted"]) for key, row in scored.items() if shown[key] != row["extracted"]}
    assert not differ, differ
    # the comparison has teeth: every case the file marks right has an answer to compare
    assert all(shown[case["id"]] is not None for case in CASES if case["correct"])
