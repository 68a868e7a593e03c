from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from vision_r1_plugins.cli import app

runner = CliRunner()
GOOD = "<think>2 + 2 = 4</think><answer>4</answer>"


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _flat(output: str) -> str:
    return " ".join(output.split())


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_score_file_accounts_for_every_line(tmp_path: Path) -> None:
    rows = [
        json.dumps({"id": "a", "response": GOOD, "ground_truth": "4"}),
        "this is not json",
        json.dumps({"response": GOOD.replace(">4<", ">C<"), "ground_truth": "C", "choices": ["1", "2", "4"]}),
        json.dumps({"response": "<answer>4</answer>", "ground_truth": "4"}),
        json.dumps({"ground_truth": "4"}),
        json.dumps({"response": GOOD, "ground_truth": "\\frac{8}{2}"}),
    ]
    source = _write(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["reward", "score", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    records = _read(out)
    assert [record["line"] for record in records] == [1, 2, 3, 4, 5, 6]
    assert [record["score"] for record in records] == [1.0, 0.0, 1.0, 0.0, 0.0, 1.0]
    assert records[0]["id"] == "a"
    assert records[1]["reason"].startswith("invalid_json")
    assert records[3]["reason"] == "no_think"
    assert records[4]["reason"] == "invalid_row: no string 'response'"
    assert "2 invalid rows" in _flat(result.output) and "6 rows scored" in _flat(result.output)


def test_score_file_resumes_without_duplicates(tmp_path: Path) -> None:
    source = _write(tmp_path / "in.jsonl", [json.dumps({"response": GOOD, "ground_truth": str(n)}) for n in range(6)])
    out = tmp_path / "out.jsonl"
    full = tmp_path / "full.jsonl"
    assert runner.invoke(app, ["reward", "score", str(source), "-o", str(full)]).exit_code == 0
    # Simulate a run killed after three lines.
    out.write_text("".join(full.read_text().splitlines(keepends=True)[:3]))
    result = runner.invoke(app, ["reward", "score", str(source), "-o", str(out), "--resume"])
    assert result.exit_code == 0, result.output
    assert "3 rows scored, 3 kept from the previous run" in _flat(result.output)
    assert out.read_text() == full.read_text()


def test_bad_option_is_a_usage_error(tmp_path: Path) -> None:
    source = _write(tmp_path / "in.jsonl", [json.dumps({"response": GOOD, "ground_truth": "4"})])
    result = runner.invoke(app, ["reward", "score", str(source), "-o", str(tmp_path / "o.jsonl"), "--mode", "soft"])
    assert result.exit_code != 0
    assert "mode must be one of" in _flat(result.output)


def test_easyr1_path_points_at_the_batch_function() -> None:
    result = runner.invoke(app, ["reward", "easyr1-path"])
    assert result.exit_code == 0
    path = Path(result.output.strip())
    assert path.name == "easyr1.py" and "def compute_score(reward_inputs" in path.read_text()


def test_resume_after_a_kill_mid_line_rescores_the_cut_row(tmp_path: Path) -> None:
    rows = [json.dumps({"response": GOOD, "ground_truth": str(n)}) for n in range(4)]
    source = _write(tmp_path / "in.jsonl", [*rows[:2], "", *rows[2:]])  # a blank line: skipped, not scored
    full = tmp_path / "full.jsonl"
    assert runner.invoke(app, ["reward", "score", str(source), "-o", str(full)]).exit_code == 0
    assert [record["line"] for record in _read(full)] == [1, 2, 4, 5]
    out = tmp_path / "out.jsonl"
    written = full.read_text().splitlines(keepends=True)
    out.write_text("".join(written[:2]) + written[2][:15])  # killed while writing the third record
    result = runner.invoke(app, ["reward", "score", str(source), "-o", str(out), "--resume"])
    assert result.exit_code == 0, result.output
    assert "2 rows scored, 2 kept from the previous run" in _flat(result.output)
    assert out.read_text() == full.read_text()
