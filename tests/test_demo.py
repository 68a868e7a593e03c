from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.core.resources import sample_problems, sample_responses


@pytest.mark.slow
def test_demo_runs_every_stage_and_reuses_work(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "reward_scores.jsonl").read_text().splitlines()]
    assert len(records) == len(sample_responses().read_text().splitlines())
    by_id = {record["id"]: record for record in records}
    assert by_id["geo-02"]["score"] == 1.0  # \sqrt{12} for 2\sqrt{3}
    assert by_id["geo-08"]["reason"] == "multiple_candidates"
    assert by_id["geo-12"]["reason"] == "two_think"
    logs = (tmp_path / "sft-output" / "trainer_log.jsonl").read_text().splitlines()
    assert sum("loss" in json.loads(line) for line in logs) == 3
    assert "8 rows, 8 kept, 0 rejected" in result.output
    flat = " ".join(result.output.split())
    assert "4 GRPO steps in one verl run: stage 1: steps 1-2, n=4, responses up to 16 tokens" in flat
    assert "stage 2: steps 3-4, n=2" in flat
    assert (tmp_path / "rl" / "train.parquet").is_file()
    assert (tmp_path / "rl" / "checkpoints" / "vision_r1_ptst-smoke" / "global_step_4" / "actor").is_dir()
    problems = len(sample_problems().read_text().splitlines())
    bridged = json.loads((tmp_path / "bridge-output" / "summary.json").read_text())
    assert bridged["input"] == problems and bridged["kept"] + sum(bridged["filtered"].values()) == problems
    assert all(counts["done"] == problems for counts in bridged["requests"].values())
    evaluated = json.loads((tmp_path / "eval" / "sft-model" / "summary.json").read_text())
    assert evaluated["scored"] == problems
    rewards = (tmp_path / "eval" / "sft-model" / "reward-scores.jsonl").read_text().splitlines()
    assert len(rewards) == problems
    assert (tmp_path / "analysis" / "report.md").is_file()
    assert "the pipeline runs, not that it reasons" in " ".join(result.output.split())

    again = CliRunner().invoke(app, ["demo", "--out", str(tmp_path)])
    assert again.exit_code == 0, again.output
    assert "Reused the tiny Qwen2.5-VL" in again.output
    rerun = json.loads((tmp_path / "bridge-output" / "summary.json").read_text())
    assert all(counts["done"] == 0 and counts["cached"] == problems for counts in rerun["requests"].values())


def test_demo_steps_subset_and_unknown_step(tmp_path: Path) -> None:
    from vision_r1_plugins.core.errors import UsageError
    from vision_r1_plugins.demo import PREREQUISITES, run_demo

    done = run_demo(tmp_path, steps=["reward"])
    assert [step.title.split(" ")[0] for step in done] == ["Scored"]
    assert PREREQUISITES["eval"] == ("model", "sft")
    with pytest.raises(UsageError, match=r"unknown demo steps \['nope'\]"):
        run_demo(tmp_path, steps=["reward", "nope"])
