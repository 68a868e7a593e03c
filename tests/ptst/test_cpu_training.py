"""Real verl 0.9.1 GRPO steps on CPU through ``vision-r1 ptst run --cpu``: the tiny Qwen2.5-VL, the sample data,
Ray on 127.0.0.1. One hook-mode run is killed during stage 2 and resumed; its metrics, rollouts and checkpoints
answer the tests below. A second schedule runs in ``--mode stages``."""

from __future__ import annotations

import json
import math
import os
import signal
import time
from pathlib import Path

import pytest

from vision_r1_plugins.reward import Reason
from vision_r1_plugins.testing.processes import finish
from vision_r1_plugins.testing.processes import start_cli as vision_r1
from vision_r1_plugins.testing.schedules import write_cpu_schedule

pytest.importorskip("verl")
pytestmark = pytest.mark.slow

STAGES = [
    {"name": "short_many", "max_response_length": 16, "rollout_n": 4, "steps": 2},
    {"name": "long_few", "max_response_length": 32, "rollout_n": 2, "steps": 3},
]
# The killed run's stage 1 is adaptive: it may run 4 steps, but its rule fires as soon as a step fails to beat the
# stage's best reward by 10 (always), after step 2; so the run has the same shape as STAGES (ends at step 5, not
# 7), and its resume inside stage 2 must come from the saved switch, not from the schedule (whose stage 1 would
# end at step 4).
ADAPTIVE_STAGES = [
    {**STAGES[0], "steps": 4, "switch": {"signal": "reward_plateau", "min_delta": 10, "patience": 1}},
    STAGES[1],
]
DENSE_REWARD = "pkg://vision_r1_plugins.testing.dense_reward"


def step_rows(schedule: Path) -> list[dict]:
    process = vision_r1("ptst", "metrics", str(schedule), "--json")
    code, output = finish(process, 60)
    assert code == 0, output
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def killed_and_resumed(tiny_model_dir: Path, rl_parquet: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("hook")
    overrides = {
        "reward.custom_reward_function.path": DENSE_REWARD,
        "trainer.save_freq": 1,
        "trainer.rollout_data_dir": str(folder / "rollouts"),
    }
    schedule = write_cpu_schedule(folder, tiny_model_dir, rl_parquet, ADAPTIVE_STAGES, **overrides)
    log = folder / "checkpoints" / "metrics" / "hook-from0.jsonl"
    first = vision_r1("ptst", "run", str(schedule), "--cpu", start_new_session=True)
    deadline = time.monotonic() + 300
    try:
        # Kill during stage 2: once step 3 (the first of stage 2) is logged, step 4 is running.
        while not (
            log.is_file()
            and any(json.loads(line)["step"] == 3 for line in log.read_text().splitlines() if line.strip())
        ):
            assert first.poll() is None, first.communicate()[0][-4000:]
            assert time.monotonic() < deadline, "stage 2 never started"
            time.sleep(0.2)
        os.killpg(first.pid, signal.SIGKILL)
    finally:
        first.communicate(timeout=60)
    killed_at = sorted(int(path.name.split("_")[-1]) for path in (folder / "checkpoints").glob("global_step_*"))
    second = vision_r1("ptst", "run", str(schedule), "--cpu")
    code, output = finish(second)
    assert code == 0, output[-6000:]
    again = finish(vision_r1("ptst", "run", str(schedule), "--cpu"), 120)
    return {
        "folder": folder,
        "schedule": schedule,
        "output": output,
        "killed_at": killed_at,
        "rows": step_rows(schedule),
        "again": again,
    }


def test_stages_switch_inside_one_run(killed_and_resumed: dict) -> None:
    rows = killed_and_resumed["rows"]
    assert [row["step"] for row in rows] == [1, 2, 3, 4, 5]  # each step exactly once, across the kill
    stage1, stage2 = rows[:2], rows[2:]
    assert {(row["stage"], row["rollout_n"], row["rollout_n_source"]) for row in stage1} == {
        ("short_many", 4, "trainer")
    }
    assert {(row["stage"], row["rollout_n"]) for row in stage2} == {("long_few", 2)}
    assert all(row["response_length_max"] <= 16 for row in stage1)
    assert any(row["response_length_max"] > 16 for row in stage2)
    assert all(row["response_length_max"] <= 32 for row in stage2)


def test_advantages_are_normalised_over_each_stages_group(killed_and_resumed: dict) -> None:
    # GRPO z-scores each group with the unbiased std, so a group of n has sum(z^2) = n - 1: with n = 2 both
    # advantages are +-1/sqrt(2); with n = 4 the largest |z| lies in [sqrt(3)/2, 1.5]. (verl adds 1e-6 to the std,
    # which shrinks |z| slightly when two rewards are close.)
    for row in killed_and_resumed["rows"]:
        largest = max(row["advantages_max"], -row["advantages_min"])
        if row["stage"] == "long_few":
            assert math.isclose(row["advantages_max"], -row["advantages_min"], abs_tol=1e-4), row  # float32
            assert 0.69 < largest <= 1 / math.sqrt(2) + 1e-6, row
        else:
            assert math.sqrt(3) / 2 - 0.02 < largest <= 1.5 + 1e-6, row


def test_our_reward_scored_every_rollout(killed_and_resumed: dict) -> None:
    records = [
        json.loads(line)
        for path in (killed_and_resumed["folder"] / "rollouts").glob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert records
    reasons = {record["reason"] for record in records}
    assert reasons <= {reason.value for reason in Reason} and reasons
    assert all("dense_term" in record for record in records)


def test_kill_during_stage_2_resumes_from_its_newest_checkpoint(killed_and_resumed: dict) -> None:
    checkpoints = killed_and_resumed["folder"] / "checkpoints"
    assert max(killed_and_resumed["killed_at"]) == 3  # the kill came after step 3's checkpoint, inside stage 2
    assert "PTST resuming at global step 4 of 5" in killed_and_resumed["output"]
    assert (checkpoints / "metrics" / "hook-from3.jsonl").is_file()
    assert (checkpoints / "global_step_2").is_dir() and (checkpoints / "global_step_5").is_dir()  # boundary, end


def test_training_changes_the_weights_and_the_rollout_follows(killed_and_resumed: dict, tiny_model_dir: Path) -> None:
    import torch
    from safetensors.torch import load_file

    rows = killed_and_resumed["rows"]
    assert all(row["grad_norm"] > 0 for row in rows)
    initial = {}
    for path in tiny_model_dir.glob("*.safetensors"):
        initial.update(load_file(path))
    saved = torch.load(
        killed_and_resumed["folder"] / "checkpoints" / "global_step_5" / "actor" / "model_world_size_1_rank_0.pt",
        weights_only=False,
    )
    common = sorted(set(initial) & set(saved))
    assert common
    changed = [
        name for name in common if not torch.equal(initial[name], saved[name].to_local().to(initial[name].dtype))
    ]
    assert len(changed) > len(common) // 2
    # The rollout's log-probs of its own tokens match the actor's recomputation after every weight sync (lr 1e-3
    # moves the weights far more than this: a rollout on stale weights would differ).
    log = killed_and_resumed["folder"] / "checkpoints" / "metrics"
    diffs = [
        json.loads(line)["data"]["training/rollout_probs_diff_max"]
        for path in log.glob("*.jsonl")
        for line in path.read_text().splitlines()
        if "training/rollout_probs_diff_max" in line
    ]
    assert diffs and max(diffs) < 1e-3


def test_stage_runner_gives_the_same_stage_shapes(tiny_model_dir: Path, rl_parquet: Path, tmp_path: Path) -> None:
    stages = [{**STAGES[0]}, {**STAGES[1], "steps": 2}]
    schedule = write_cpu_schedule(tmp_path, tiny_model_dir, rl_parquet, stages)
    code, output = finish(vision_r1("ptst", "run", str(schedule), "--cpu", "--mode", "stages"))
    assert code == 0, output[-6000:]
    assert "stage short_many: finished" in output and "stage long_few: finished" in output
    rows = step_rows(schedule)
    assert [(row["step"], row["stage"], row["rollout_n"]) for row in rows] == [
        (1, "short_many", 4),
        (2, "short_many", 4),
        (3, "long_few", 2),
        (4, "long_few", 2),
    ]
    assert all(row["rollout_n_source"] == "trainer" for row in rows)
    assert (
        max(row["response_length_max"] for row in rows[:2]) <= 16 < max(row["response_length_max"] for row in rows[2:])
    )
    assert (tmp_path / "checkpoints" / "global_step_2").is_dir()
    assert len(list((tmp_path / "checkpoints" / "metrics").glob("*.jsonl"))) == 2  # one verl process per stage


def test_the_adaptive_stage_ended_on_its_rule_and_the_resume_kept_the_switch(killed_and_resumed: dict) -> None:
    rows = killed_and_resumed["rows"]
    assert [row["switched"] for row in rows[:2]] == [0.0, 1.0]  # the rule fired on step 2, not before
    assert all(row["switched"] is None for row in rows[2:])  # the last stage has no rule
    checkpoints = killed_and_resumed["folder"] / "checkpoints"
    state = json.loads((checkpoints / "global_step_2" / "ptst_state.json").read_text())
    assert state["ended"] == {"0": 2} and state["total_steps"] == 5
    assert json.loads((checkpoints / "global_step_5" / "ptst_state.json").read_text())["total_steps"] == 5
    # Resumed at step 4 from global_step_3, in stage 2 (test_stages_switch_inside_one_run: n=2, up to 32 tokens): the
    # schedule alone would have put step 4 in stage 1. The runner knew the run ends at 5, not 7.
    assert "PTST resuming at global step 4 of 5" in killed_and_resumed["output"]
    assert not (checkpoints / "global_step_6").exists() and not (checkpoints / "global_step_7").exists()
    code, again = killed_and_resumed["again"]
    assert code == 0 and "all 5 steps are already checkpointed" in again, again[-2000:]
