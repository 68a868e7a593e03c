from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.core.resources import sample_problems, sample_responses

MAX_LINES = 60


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_demo_data_flows_stage_to_stage_and_a_second_run_reuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A relative --out, as `make demo` gives (runs/demo): the steps' child processes run in other folders.
    monkeypatch.chdir(tmp_path.parent)
    result = CliRunner().invoke(app, ["demo", "--out", tmp_path.name])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) <= MAX_LINES, result.output
    # Framework output went to the logs, not the terminal.
    for noise in ("[INFO", "Ray", "it/s]", "Warning", "Loading weights", "***** train metrics"):
        assert noise not in result.output, noise
    for step in ("reward", "model", "bridge", "sft", "rl", "eval"):
        assert (tmp_path / "logs" / f"{step}.log").is_file()

    records = [json.loads(line) for line in (tmp_path / "reward_scores.jsonl").read_text().splitlines()]
    assert len(records) == len(sample_responses().read_text().splitlines())
    by_id = {record["id"]: record for record in records}
    assert by_id["geo-02"]["score"] == 1.0  # \sqrt{12} for 2\sqrt{3}
    assert by_id["geo-12"]["reason"] == "two_think"

    # The bridge: every problem ends kept, filtered or rejected, the teacher's planted failures are caught, and the
    # story line says so with counts that add up.
    problems = len(sample_problems().read_text().splitlines())
    bridged = json.loads((tmp_path / "bridge-output" / "summary.json").read_text())
    filtered, rejected = sum(bridged["filtered"].values()), sum(bridged["rejected"].values())
    assert bridged["input"] == problems == 36
    assert bridged["kept"] + filtered + rejected == problems
    assert bridged["kept"] > problems // 2
    planted = json.loads((tmp_path / "logs" / "teacher-server.json").read_text())["planted"]
    assert bridged["filtered"] == {
        reason: count
        for reason, count in (("answer_mismatch", planted["wrong"]), ("truncated", planted["truncated"]))
        if count
    }
    assert bridged["rejected"] == ({"request_failed": planted["failed"]} if planted["failed"] else {})
    assert f"{problems} problems -> {bridged['kept']} kept, {filtered} filtered" in result.output
    assert f"{rejected} rejected" in result.output

    # SFT trained on exactly the bridge's export: the rows of the dataset LLaMA-Factory was pointed at are the
    # exported rows, and LLaMA-Factory counted that many examples.
    export = tmp_path / "bridge-output" / "vision_r1_bridged.json"
    exported_rows = json.loads(export.read_text(encoding="utf-8"))
    assert len(exported_rows) == bridged["kept"]
    config = yaml.safe_load((tmp_path / "sft.yaml").read_text())
    info = json.loads((Path(config["dataset_dir"]) / "dataset_info.json").read_text())
    given = Path(config["dataset_dir"]) / info[config["dataset"]]["file_name"]
    text = given.read_text(encoding="utf-8")
    given_rows = json.loads(text) if given.suffix == ".json" else [json.loads(line) for line in text.splitlines()]
    assert given_rows == exported_rows
    assert config["model_name_or_path"] == str(tmp_path / "tiny-qwen2_5_vl")
    sft_log = (tmp_path / "logs" / "sft.log").read_text(encoding="utf-8")
    assert f"Num examples = {len(exported_rows)}" in sft_log
    logs = (tmp_path / "sft-output" / "trainer_log.jsonl").read_text().splitlines()
    assert sum("loss" in json.loads(line) for line in logs) == 3

    # RL started from the SFT output.
    flat = " ".join(result.output.split())
    assert "4 GRPO steps in one verl run from the SFT model: stage 1: steps 1-2, n=4, responses up to 16 tokens" in flat
    assert "stage 2: steps 3-4, n=2" in flat
    (overrides,) = (tmp_path / "rl").glob("outputs/*/*/.hydra/overrides.yaml")
    assert f"actor_rollout_ref.model.path={tmp_path / 'sft-output'}" in yaml.safe_load(overrides.read_text())
    final = tmp_path / "rl" / "checkpoints" / "vision_r1_ptst-smoke" / "global_step_4" / "actor" / "huggingface"
    rl_weights = final / "model.safetensors"
    rl_digest = _sha256(rl_weights)
    # The RL steps moved the weights (the demo's RL reward has a dense term), so evaluating them is not evaluating
    # the SFT model.
    assert rl_digest != _sha256(tmp_path / "sft-output" / "model.safetensors")
    assert "the weights changed" in flat

    # Evaluation scored the RL output.
    run = tmp_path / "eval" / "rl-model"
    assert (run / "demo-model.sha256").read_text() == hashlib.sha256(rl_weights.read_bytes()).hexdigest() == rl_digest
    evaluated = json.loads((run / "summary.json").read_text())
    assert evaluated["scored"] == problems
    assert len((run / "reward-scores.jsonl").read_text().splitlines()) == problems
    assert (tmp_path / "analysis" / "report.md").is_file()
    assert f"-> {final.relative_to(tmp_path)}" in result.output
    assert "the RL model on 36 problems" in result.output

    # The closing lines name the stand-ins and how to use real ones.
    assert "scripted OpenAI-compatible server" in flat and "--base-url http://host:8000/v1" in flat
    assert "random weights" in flat and "vision-r1 eval run" in flat

    again = CliRunner().invoke(app, ["demo", "--out", tmp_path.name])
    assert again.exit_code == 0, again.output
    assert len(again.output.splitlines()) <= MAX_LINES, again.output
    assert "reused the tiny Qwen2.5-VL" in again.output
    assert "reused the SFT model" in again.output and "reused: 4 GRPO steps" in again.output
    rerun = json.loads((tmp_path / "bridge-output" / "summary.json").read_text())
    # Only the sample whose request failed is asked again (and fails again); every other reply is reused.
    assert all(counts["done"] == 0 and counts["cached"] == problems - rejected for counts in rerun["requests"].values())
    assert rerun["requests"]["caption_cot"]["failed"] == rejected
    assert (rerun["kept"], rerun["filtered"], rerun["rejected"]) == (bridged["kept"], bridged["filtered"],
                                                                     bridged["rejected"])  # fmt: skip
    assert _sha256(rl_weights) == rl_digest  # the RL checkpoint was reused, not retrained


def test_demo_steps_subset_and_unknown_step(tmp_path: Path) -> None:
    from vision_r1_plugins.core.errors import UsageError
    from vision_r1_plugins.demo import PREREQUISITES, run_demo

    done = run_demo(tmp_path, steps=["reward"])
    assert [step.name for step in done] == ["reward"]
    assert done[0].lines[0].startswith("12 sample responses scored")
    assert done[0].log == tmp_path / "logs" / "reward.log"
    assert PREREQUISITES["eval"] == ("model", "bridge", "sft", "rl")
    assert PREREQUISITES["sft"] == ("model", "bridge")
    with pytest.raises(UsageError, match=r"unknown demo steps \['nope'\]"):
        run_demo(tmp_path, steps=["reward", "nope"])


def test_a_console_handler_on_a_closed_stream_is_moved_not_flushed(tmp_path: Path) -> None:
    # A library imported inside an earlier CliRunner call (lark adds a console handler on import) keeps a
    # handler on that call's stream, closed since; the demo's log capture must move it, not crash flushing it.
    import io
    import logging
    import sys

    from vision_r1_plugins.demo import captured

    gone = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # what CliRunner puts in sys.stderr
    gone.close()
    handler = logging.StreamHandler(gone)
    logger = logging.getLogger("vision_r1_test_closed_console")
    logger.addHandler(handler)
    try:
        with captured(tmp_path / "step.log"):
            logger.warning("during the step")
        assert "during the step" in (tmp_path / "step.log").read_text()
        assert handler.stream is (sys.__stderr__ or sys.stderr)
    finally:
        logger.removeHandler(handler)


@pytest.mark.slow
def test_demo_bridge_step_alone(tmp_path: Path) -> None:
    from vision_r1_plugins.demo import run_demo

    done = run_demo(tmp_path, steps=["bridge"])
    assert [step.name for step in done] == ["model", "bridge"]
    summary = json.loads((tmp_path / "bridge-output" / "summary.json").read_text())
    kept, filtered, rejected = summary["kept"], sum(summary["filtered"].values()), sum(summary["rejected"].values())
    assert kept + filtered + rejected == 36
    assert done[1].lines[0].startswith(f"36 problems -> {kept} kept, {filtered} filtered")
    assert done[1].outputs == [tmp_path / "bridge-output" / "vision_r1_bridged.json"]
