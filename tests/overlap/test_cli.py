from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from vision_r1_plugins.cli.app import app

runner = CliRunner()


def test_overlap_end_to_end_writes_the_report_and_exits_0(
    tmp_path: Path, benchmark_file: Path, training_writer: Any
) -> None:
    train = training_writer(tmp_path / "train", "sharegpt_jsonl")
    out = tmp_path / "out"
    args = ["data", "overlap", "--train", str(train), "--benchmark", str(benchmark_file), "--out", str(out)]
    result = runner.invoke(app, [*args, "--write-clean", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "benchmark rows found in training" in result.output and "vision_r1" in result.output
    summary = json.loads((out / "overlap.json").read_text("utf-8"))
    assert summary["benchmarks"][0]["found"] == 5 and summary["training"][0]["kept"] == 2
    assert len((out / "pairs.jsonl").read_text("utf-8").splitlines()) == summary["pairs"] >= 5
    assert (out / "clean" / "train" / "train.jsonl").is_file() and (out / "clean" / "train" / "removed.jsonl").is_file()

    failed = runner.invoke(app, [*args, "--fail-on-overlap"])
    assert failed.exit_code == 1 and "--fail-on-overlap: 5 benchmark rows found" in failed.output


def test_a_clean_training_file_passes_fail_on_overlap(tmp_path: Path, benchmark_file: Path, jsonl: Any) -> None:
    turns = [{"role": "user", "content": "A question that appears in no benchmark at all, asked here only once."}]
    train = jsonl(tmp_path / "train.jsonl", [{"messages": turns}])
    args = ["data", "overlap", "--train", str(train), "--benchmark", f"vision_r1={benchmark_file}"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "out"), "--fail-on-overlap", "--no-images"])
    assert result.exit_code == 0, result.output


def test_usage_mistakes_exit_2_with_the_fix(tmp_path: Path, benchmark_file: Path, jsonl: Any) -> None:
    train = jsonl(tmp_path / "train.jsonl", [{"messages": [{"role": "user", "content": "hi"}]}])
    odd = jsonl(tmp_path / "odd.jsonl", [{"text": "x"}])
    base = ["data", "overlap", "--out", str(tmp_path / "out")]
    cases = [
        ([*base, "--train", str(train), "--benchmark", str(odd)], "give NAME="),
        ([*base, "--train", str(tmp_path / "nope.jsonl"), "--benchmark", str(benchmark_file)], "not found"),
        ([*base, "--train", str(train), "--benchmark", f"nope={benchmark_file}"], "unknown benchmark 'nope'"),
        ([*base, "--train", str(train), "--benchmark", str(benchmark_file), "--train-format", "csv"], "--train-format"),
        ([*base, "--train", str(train), "--benchmark", str(benchmark_file), "--text-threshold", "2"], "threshold"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
