"""One bad JSONL line in each command's input (bridge, rl-data, lf validate, reward score, eval score): it is counted
as rejected with its reason (never skipped, never a crash), the rest of the file is still used, and the report's
counts add up (input == kept + filtered + rejected)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.core.accounting import RowAccount
from vision_r1_plugins.testing.fake_server import FakeServer, FakeServerConfig
from vision_r1_plugins.testing.synthetic import SHAREGPT_ENTRY, sharegpt_row, write_images

runner = CliRunner()
BAD_LINES = ["this is not json", "[1, 2, 3]"]  # invalid JSON, then JSON that is not an object


def _jsonl(path: Path, rows: list[Any]) -> Path:
    """``rows`` as JSONL, the bad lines second and fourth: good rows before and after them must still be read."""
    lines = [json.dumps(row) for row in rows]
    lines.insert(1, BAD_LINES[0])
    lines.insert(3, BAD_LINES[1])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _balanced(data: dict[str, Any], input_key: str = "input") -> None:
    dropped = sum(data.get("filtered", {}).values()) + sum(data["rejected"].values())
    assert data["kept"] + dropped == data[input_key], data


def _problems(root: Path, count: int) -> Path:
    names = write_images(root / "imgs", 2)
    rows = [
        {"id": f"q{i}", "images": [f"imgs/{names[i % 2]}"], "problem": f"<image>What is {i} + 3?", "answer": str(i + 3)}
        for i in range(count)
    ]
    return _jsonl(root / "problems.jsonl", rows)


def test_bridge(tmp_path: Path) -> None:
    source = _problems(tmp_path, 3)
    with FakeServer(FakeServerConfig()) as server:
        result = runner.invoke(
            app,
            [
                *("bridge", str(source), "--out", str(tmp_path / "out"), "--base-url", server.url),
                *("--model", "fake-mllm", "--reasoner-model", "fake-reasoner", "--min-reasoning-chars", "10"),
            ],
        )
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["input"] == 5 and summary["kept"] == 3 and summary["rejected"] == {"invalid_row": 2}
    _balanced(summary)
    rejects = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    assert [(record["index"], record["reason"]) for record in rejects] == [(1, "invalid_row"), (3, "invalid_row")]
    assert rejects[0]["detail"].startswith("not valid JSON") and "got a JSON array" in rejects[1]["detail"]


def test_rl_data(tmp_path: Path, tiny_model_dir: Path) -> None:
    from vision_r1_plugins.verl.rl_data import RLDataConfig, convert_rl_data

    report = convert_rl_data(RLDataConfig(_problems(tmp_path, 3), tmp_path / "rl", tiny_model_dir))
    assert (report.input, report.kept, dict(report.rejected)) == (5, 3, {"invalid_row": 2})
    data = report.to_dict()
    _balanced(data)
    assert data["rejected_total"] == 2 and data["examples"][0].startswith("row 1 (1) invalid_row: not valid JSON")
    assert isinstance(report.rows, RowAccount)


def test_lf_validate(tmp_path: Path, tiny_model_dir: Path) -> None:
    from vision_r1_plugins.core.dataset_info import register_datasets
    from vision_r1_plugins.llamafactory.validate import ValidateConfig, validate_dataset

    data_dir = tmp_path / "data"
    names = write_images(data_dir / "images", 3)
    _jsonl(data_dir / "toy.jsonl", [sharegpt_row(f"images/{name}", index) for index, name in enumerate(names)])
    register_datasets(data_dir, {"toy": {"file_name": "toy.jsonl", **SHAREGPT_ENTRY}}, force=True)
    config = ValidateConfig(str(data_dir), "toy", str(tiny_model_dir), cutoff_len=4096, num_workers=1)
    report = validate_dataset(config, fix_dir=tmp_path / "fixed")
    assert (report.total, report.kept, dict(report.rejected)) == (5, 3, {"invalid_row": 2})
    summary = json.loads((tmp_path / "fixed" / "toy.validation.json").read_text())
    _balanced(summary, "total")
    _balanced(summary)  # the shared fields too
    assert summary["examples"]["invalid_row"].startswith("row 1: not valid JSON")


def test_reward_score(tmp_path: Path) -> None:
    good = "<think>2 + 2 = 4</think><answer>4</answer>"
    source = _jsonl(tmp_path / "responses.jsonl", [{"response": good, "ground_truth": "4"}] * 3)
    result = runner.invoke(app, ["reward", "score", str(source), "-o", str(tmp_path / "scores.jsonl")])
    assert result.exit_code == 0, result.output
    assert "2 of 5 rows could not be scored" in result.output
    scores = [json.loads(line) for line in (tmp_path / "scores.jsonl").read_text().splitlines()]
    assert [record["line"] for record in scores] == [1, 2, 3, 4, 5]
    assert [record["reason"].split(":")[0] for record in scores] == ["ok", "invalid_json", "ok", "invalid_row", "ok"]

    from vision_r1_plugins.reward.files import score_file

    summary = score_file(source, tmp_path / "again.jsonl")
    _balanced(summary.to_dict())
    assert (summary.rows, summary.scored, summary.invalid) == (5, 3, 2)
    assert summary.to_dict()["rejected"] == {"invalid_json": 1, "invalid_row": 1}
    assert summary.examples == [
        "line 2: invalid_json: not valid JSON (Expecting value)",
        "line 4: invalid_row: expected a JSON object, got a JSON array",
    ]


def test_eval_score(tmp_path: Path) -> None:
    from vision_r1_plugins.eval.score_responses import ScoreConfig, score_responses

    bench = tmp_path / "bench.jsonl"
    rows = [
        {"id": f"q{i}", "images": [], "query": f"What is {i} + 3?", "answer": str(i + 3), "question_type": "free_form"}
        for i in range(3)
    ]
    bench.write_text("".join(json.dumps(row) + "\n" for row in rows) + "{cut off\n")  # the benchmark has one too
    responses = [{"id": f"q{i}", "response": f"<answer>{i + 3}</answer>"} for i in range(3)]
    responses.append({"id": "elsewhere", "response": "<answer>1</answer>"})
    source = _jsonl(tmp_path / "responses.jsonl", responses)
    outcome = score_responses(ScoreConfig(source, "vision_r1", bench, tmp_path / "run"))
    account = outcome.responses
    assert (account.input, account.kept) == (6, 3)
    assert account.rejected == {"invalid_json": 1, "invalid_row": 1, "unmatched": 1}
    _balanced(account.to_dict())
    assert (outcome.unreadable, outcome.unmatched) == (2, 1)
    assert outcome.report.accuracy == 1.0 and outcome.report.invalid_rows == 1
    benchmark_rows = outcome.report.row_accounting
    assert benchmark_rows == {"input": 4, "kept": 3, "filtered": {}, "rejected": {"invalid_row": 1}}
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["row_accounting"] == benchmark_rows and summary["rows"] == 3
    result = runner.invoke(
        app,
        ["eval", "score", str(source), "--benchmark", "vision_r1", "--data", str(bench), "--out", str(tmp_path / "c")],
    )
    assert result.exit_code == 0, result.output
    assert "2 response rows with no id or text" in " ".join(result.output.split())
