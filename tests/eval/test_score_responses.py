"""``vision-r1 eval score`` with a judge model, and ``vision-r1 eval`` (run) with planted failures, both against
a real HTTP OpenAI-compatible server (the fake server speaks the protocol; its "model" solves arithmetic)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.core.store import count_results
from vision_r1_plugins.eval.llm_extractor import JUDGE_FILE, read_reply
from vision_r1_plugins.testing.fake_server import BAD_REQUEST_MARKER, FakeServer

runner = CliRunner()


def _benchmark(path: Path, count: int) -> Path:
    rows = [
        {
            "id": f"q{i}",
            "images": [],
            "query": f"How many apples are in basket {chr(65 + i)}?",
            "answer": "9",
            "question_type": "free_form",
            "answer_type": "integer",
        }
        for i in range(count)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_the_judge_reads_only_rows_the_rules_leave_undecided_and_is_cached(tmp_path: Path) -> None:
    data = _benchmark(tmp_path / "bench.jsonl", 3)
    responses = tmp_path / "responses.jsonl"
    # q0 states its answer; q1's answer hides in an expression the rules do not evaluate; q2 gives none (the
    # fake judge replies with junk there). Only q1 and q2 go to the judge.
    replies = {
        "q0": "<answer>9</answer>",
        "q1": "I counted 3 + 6 of them.\nI am not sure though.",
        "q2": "Hard to say.\nI am not sure.",
    }
    responses.write_text("".join(json.dumps({"id": key, "response": value}) + "\n" for key, value in replies.items()))
    command = [
        "eval",
        "score",
        str(responses),
        "--benchmark",
        "vision_r1",
        "--data",
        str(data),
        "--out",
        str(tmp_path / "run"),
    ]
    with FakeServer() as server:
        judged = [*command, "--judge-url", server.url, "--judge-model", "fake-reasoner"]
        result = runner.invoke(app, judged)
        assert result.exit_code == 0, result.output
        asked = server.stats()["requests"]
        again = runner.invoke(app, judged)  # resumed from judge.jsonl: nothing asked twice
        assert again.exit_code == 0, again.output
        assert server.stats()["requests"] == asked == 2
    rows = {row["id"]: row for row in map(json.loads, (tmp_path / "run" / "rows.jsonl").open())}
    assert rows["q0"]["method"] == "answer_tag" and rows["q1"]["method"] == "judge" and rows["q1"]["correct"]
    assert not rows["q2"]["correct"]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["judged_rows"] == sum(row["method"] == "judge" for row in rows.values()) >= 1
    assert summary["accuracy"] == 2 / 3
    assert f"the judge extracted {summary['judged_rows']} answers" in " ".join(result.output.split())
    assert count_results(tmp_path / "run" / JUDGE_FILE) == 2
    plain = runner.invoke(app, [*command[:-1], str(tmp_path / "plain")])  # without a judge: rules only
    assert json.loads((tmp_path / "plain" / "summary.json").read_text())["accuracy"] == 1 / 3, plain.output


def test_judge_replies_are_read_like_responses() -> None:
    assert read_reply("12") == "12"
    assert read_reply("NONE") is None
    assert read_reply("<think>The response ends with 12.</think><answer>12</answer>") == "12"


def test_a_run_where_every_request_fails_exits_non_zero(tmp_path: Path) -> None:
    data = tmp_path / "bench.jsonl"
    rows = [
        {"id": f"q{i}", "images": [], "query": f"What is {i} + 1? {BAD_REQUEST_MARKER}", "answer": str(i + 1)}
        for i in range(3)
    ]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with FakeServer() as server:
        result = runner.invoke(
            app,
            [
                "eval",
                str(data),
                "--out",
                str(tmp_path / "run"),
                "--model",
                "fake-mllm",
                "--base-url",
                server.url,
                "--timeout",
                "30",
                "--max-attempts",
                "2",
                "--api-key-env",
                "NO_KEY",
                "--system-prompt",
                "Think first.",
            ],
        )
    assert result.exit_code == 1
    assert "every one of the 3 requests failed" in " ".join(result.output.split())
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert (summary["rows"], summary["failed"], summary["accuracy"]) == (3, 3, 0.0)


def test_a_runs_own_responses_rescore_to_the_same_numbers(tmp_path: Path) -> None:
    data = _benchmark(tmp_path / "bench.jsonl", 2)
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    rows[1]["query"] = "What is 4 + 4?"  # the fake model answers 8: wrong for gold 9
    rows[0]["query"] = "What is 4 + 5?"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with FakeServer() as server:
        result = runner.invoke(
            app, ["eval", str(data), "--out", str(tmp_path / "run"), "--model", "fake-mllm", "--base-url", server.url]
        )
    assert result.exit_code == 0, result.output
    generated = json.loads((tmp_path / "run" / "summary.json").read_text())
    for source in ("responses.jsonl", "rows.jsonl"):
        rescored = runner.invoke(
            app,
            [
                "eval",
                "score",
                str(tmp_path / "run" / source),
                "--benchmark",
                "vision_r1",
                "--data",
                str(data),
                "--out",
                str(tmp_path / source),
            ],
        )
        assert rescored.exit_code == 0, rescored.output
        summary = json.loads((tmp_path / source / "summary.json").read_text())
        assert summary["accuracy_by_protocol"] == generated["accuracy_by_protocol"] == {"official": 0.5, "strict": 0.5}


def test_an_older_judge_cache_maps_onto_the_new_keys() -> None:
    """judge.jsonl lines of older versions ([row id, judge model, response digest]) import as the keys the judge
    looks up now, so an upgraded rerun asks the judge nothing it asked before."""
    import hashlib
    from types import SimpleNamespace

    from vision_r1_plugins.eval import llm_extractor

    response = "The answer is (B)."
    old = ["q7", "judge-7b", hashlib.sha256(response.encode()).hexdigest()[:16]]
    row = SimpleNamespace(id="q7")
    assert llm_extractor._legacy_key(old) == llm_extractor._key(row, "judge-7b", response)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="expected"):
        llm_extractor._legacy_key(["q7", "judge-7b"])
