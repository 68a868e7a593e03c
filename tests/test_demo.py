from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.core.resources import sample_responses
from vision_r1_plugins.demo import rl_model
from vision_r1_plugins.ptst.metrics import read_steps
from vision_r1_plugins.testing.toy import TOY_STAGES, ToyConfig

MAX_LINES = 60


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# The learning check. benchmarks/learning_bench.py runs the same GRPO with the reward's sign flipped and with a
# constant reward (zero advantages): neither reaches the held-out margin. A stale rollout (weights not synced)
# fails the log-prob equality below.
HELDOUT_GAIN = 0.10  # RL over SFT, held-out greedy accuracy (seed 0 gave +34 points)
SFT_GAIN = 0.20  # SFT over the random base model


@pytest.mark.slow
def test_demo_teaches_and_a_second_run_reuses_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A relative --out, as `make demo` gives (runs/demo): the steps' child processes run in other folders.
    monkeypatch.chdir(tmp_path.parent)
    result = CliRunner().invoke(app, ["demo", "--out", tmp_path.name])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) <= MAX_LINES, result.output
    # Framework output went to the logs, not the terminal.
    for noise in ("[INFO", "Ray", "it/s]", "Warning", "Loading weights", "***** train metrics"):
        assert noise not in result.output, noise
    for step in ("reward", "model", "task", "bridge", "sft", "rl", "eval"):
        assert (tmp_path / "logs" / f"{step}.log").is_file()
    flat = " ".join(result.output.split())

    records = [json.loads(line) for line in (tmp_path / "reward_scores.jsonl").read_text().splitlines()]
    assert len(records) == len(sample_responses().read_text().splitlines())
    by_id = {record["id"]: record for record in records}
    assert by_id["geo-02"]["score"] == 1.0  # \sqrt{12} for 2\sqrt{3}
    assert by_id["geo-12"]["reason"] == "two_think"

    # The bridge: every problem ends kept, filtered or rejected, and what the answer check let through is what the
    # labels say (the wrongly labelled problems' replies agree with their wrong labels).
    problems = [json.loads(line) for line in (tmp_path / "task" / "bridge" / "problems.jsonl").read_text().splitlines()]
    bridged = json.loads((tmp_path / "bridge-output" / "summary.json").read_text())
    filtered, rejected = sum(bridged["filtered"].values()), sum(bridged["rejected"].values())
    assert bridged["input"] == len(problems) == ToyConfig().bridge
    assert bridged["kept"] + filtered + rejected == len(problems)
    assert set(bridged["filtered"]) <= {"answer_mismatch"} and rejected == 0
    assert f"{len(problems)} problems -> {bridged['kept']} kept, {filtered} filtered" in flat
    labels = {problem["id"]: problem for problem in problems}
    kept = [json.loads(line) for line in (tmp_path / "bridge-output" / "kept.jsonl").read_text().splitlines()]
    taught = [row for row in kept if labels[row["id"]]["answer"] != labels[row["id"]]["colour"]]
    assert taught and f"{len(taught)} kept rows answer the question's wrong claim" in flat

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
    assert f"Num examples = {len(exported_rows)}" in (tmp_path / "logs" / "sft.log").read_text(encoding="utf-8")

    # RL: from the SFT output, the two PTST stages, the hard reward alone (the project's, no dense term).
    assert "12 GRPO steps with the hard reward alone, in one verl run from the SFT model" in flat
    assert "stage 1 (n=8, up to 32 tokens): steps 1-6" in flat and "stage 2 (n=4, up to 64 tokens): steps 7-12" in flat
    (overrides,) = (tmp_path / "rl").glob("outputs/*/*/.hydra/overrides.yaml")
    given_overrides = yaml.safe_load(overrides.read_text())
    assert f"actor_rollout_ref.model.path={tmp_path / 'sft-output'}" in given_overrides
    assert "reward.custom_reward_function.path=pkg://vision_r1_plugins.reward" in given_overrides
    assert "+reward.custom_reward_function.reward_kwargs.mode=hard" in given_overrides
    steps = read_steps(tmp_path / "rl" / "checkpoints" / "metrics")
    assert [record.step for record in steps] == list(range(1, 13))
    # The rollout samples the policy the trainer trains: its log-probs of its own tokens (images in every prompt,
    # a trained model) equal the trainer's recomputation on every step.
    assert max(float(record.data["training/rollout_probs_diff_max"]) for record in steps) < 1e-3

    # The learning check: GRPO had something to learn from (non-zero advantages on every step), and the RL model's
    # held-out accuracy beats the SFT model's, which beats the random model's. (The training reward itself rises
    # only about 0.05 with seed 0, within step-to-step noise: the SFT policy already samples most answers right.)
    assert all(float(record.data["critic/advantages/max"]) > 0 for record in steps)
    learning = json.loads((tmp_path / "learning.json").read_text())
    assert set(learning) >= {"heldout_rows", "base_accuracy", "sft_accuracy", "rl_accuracy", "reward_by_stage", "seed"}
    assert learning["heldout_rows"] == ToyConfig().heldout and learning["seed"] == 0
    assert all(0.0 <= learning[name] <= 1.0 for name in ("base_accuracy", "sft_accuracy", "rl_accuracy"))
    assert learning["sft_accuracy"] >= learning["base_accuracy"] + SFT_GAIN, learning
    assert learning["rl_accuracy"] >= learning["sft_accuracy"] + HELDOUT_GAIN, learning
    assert list(learning["reward_by_stage"]) == [stage["name"] for stage in TOY_STAGES]
    assert learning["followed_wrong_claim"]["rl"] < learning["followed_wrong_claim"]["sft"]
    rl_weights = rl_model(tmp_path) / "model.safetensors"
    rl_digest = _sha256(rl_weights)
    run = tmp_path / "eval" / "rl-model"
    assert (run / "demo-model.sha256").read_text() == rl_digest
    report = (tmp_path / "analysis" / "report.md").read_text()
    assert "## PTST training curves" in report and (tmp_path / "analysis" / "ptst_curves.png").is_file()
    assert f"SFT {learning['sft_accuracy']:.1%}, RL {learning['rl_accuracy']:.1%}" in flat
    assert "what RL changed: answers that repeat a wrong claim from the question" in flat

    # The closing lines name the stand-ins and how to use real ones.
    assert "scripted OpenAI-compatible server" in flat and "--base-url http://host:8000/v1" in flat
    assert "toy colour task" in flat and "vision-r1 eval run" in flat

    again = CliRunner().invoke(app, ["demo", "--out", tmp_path.name])
    assert again.exit_code == 0, again.output
    assert len(again.output.splitlines()) <= MAX_LINES, again.output
    assert "reused the tiny Qwen2.5-VL" in again.output and "reused the toy task" in again.output
    assert "reused the SFT model" in again.output and "reused: 12 GRPO steps" in again.output
    rerun = json.loads((tmp_path / "bridge-output" / "summary.json").read_text())
    assert all(counts["done"] == 0 for counts in rerun["requests"].values())  # every reply reused
    assert (rerun["kept"], rerun["filtered"]) == (bridged["kept"], bridged["filtered"])
    assert _sha256(rl_weights) == rl_digest  # the RL checkpoint was reused, not retrained
    assert json.loads((tmp_path / "learning.json").read_text())["rl_accuracy"] == learning["rl_accuracy"]


def test_demo_steps_subset_and_unknown_step(tmp_path: Path) -> None:
    from vision_r1_plugins.core.errors import UsageError
    from vision_r1_plugins.demo import PREREQUISITES, run_demo

    done = run_demo(tmp_path, steps=["reward"])
    assert [step.name for step in done] == ["reward"]
    assert done[0].lines[0].startswith("12 sample responses scored")
    assert done[0].log == tmp_path / "logs" / "reward.log"
    assert PREREQUISITES["eval"] == ("model", "task", "bridge", "sft", "rl")
    assert PREREQUISITES["sft"] == ("model", "task", "bridge")
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

    done = run_demo(tmp_path, steps=["bridge"], seed=3)
    assert [step.name for step in done] == ["task", "bridge"]
    summary = json.loads((tmp_path / "bridge-output" / "summary.json").read_text())
    kept, filtered, rejected = summary["kept"], sum(summary["filtered"].values()), sum(summary["rejected"].values())
    assert kept + filtered + rejected == ToyConfig().bridge
    assert done[1].lines[0].startswith(f"{ToyConfig().bridge} problems -> {kept} kept, {filtered} filtered")
    assert done[1].outputs == [tmp_path / "bridge-output" / "vision_r1_bridged.json"]
    # Another seed in the same folder starts afresh: another task, not the first one's replies.
    first = (tmp_path / "task" / "bridge" / "problems.jsonl").read_text()
    run_demo(tmp_path, steps=["bridge"], seed=4)
    assert (tmp_path / "task" / "bridge" / "problems.jsonl").read_text() != first
    assert json.loads((tmp_path / "demo.json").read_text())["seed"] == 4
