"""``ptst run`` with verl's entry replaced by a recording executable that behaves like verl's trainer on disk:
it saves checkpoints (global_step_N + latest_checkpointed_iteration.txt), writes the file logger's JSONL at
$VERL_FILE_LOGGER_PATH, and can be told to crash mid-stage."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.ptst.metrics import plot_metrics, read_metrics
from vision_r1_plugins.ptst.runner import StageFailed, run
from vision_r1_plugins.ptst.schedule import load_schedule

FAKE_VERL = r"""
import json, os, sys
args = dict(arg.split("=", 1) for arg in sys.argv[1:])
with open(os.environ["PTST_RECORD"], "a") as record:
    record.write(json.dumps({"args": args, "log": os.environ.get("VERL_FILE_LOGGER_PATH")}) + "\n")
root = args["trainer.default_local_dir"]
resume = args.get("trainer.resume_from_path")
start = int(resume.split("global_step_")[-1]) if args["trainer.resume_mode"] == "resume_path" else 0
total, save_freq = int(args["trainer.total_training_steps"]), int(args["trainer.save_freq"])
crash_at = int(os.environ.get("PTST_CRASH_AT", "0"))
length, n = int(args["data.max_response_length"]), int(args["actor_rollout_ref.rollout.n"])
with open(os.environ["VERL_FILE_LOGGER_PATH"], "w") as log:
    for step in range(start + 1, total + 1):
        if step == crash_at:
            print(f"step {step}: CUDA error: out of memory", flush=True)
            sys.exit(3)
        log.write(json.dumps({"step": step, "data": {"critic/score/mean": step / 100, "response_length/mean":
                  length / 4 + step, "response_length/clip_ratio": 0.1, "actor/pg_clipfrac": 0.01}}) + "\n")
        if step % save_freq == 0 or step == total:
            os.makedirs(os.path.join(root, f"global_step_{step}", "actor"), exist_ok=True)
            with open(os.path.join(root, "latest_checkpointed_iteration.txt"), "w") as marker:
                marker.write(str(step))
        print(f"step {step} n={n} length={length}", flush=True)
"""


@pytest.fixture
def schedule_file(tmp_path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = tmp_path / "train.parquet"
    pq.write_table(pa.table({"prompt": ["p"] * 8}), data)
    path = tmp_path / "schedule.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "t",
                "checkpoint_dir": str(tmp_path / "ckpt"),
                "verl": {
                    "data.train_files": str(data),
                    "data.val_files": str(data),
                    "data.max_prompt_length": 256,
                    "data.train_batch_size": 8,
                    "trainer.n_gpus_per_node": 8,
                    "actor_rollout_ref.actor.ppo_mini_batch_size": 8,
                    "trainer.save_freq": 2,
                },
                "stages": [
                    {"name": "short", "max_response_length": 512, "rollout_n": 16, "steps": 4},
                    {"name": "long", "max_response_length": 1024, "rollout_n": 8, "steps": 4},
                ],
            }
        )
    )
    return path


@pytest.fixture
def fake_verl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], Path]:
    script = tmp_path / "fake_verl.py"
    script.write_text(FAKE_VERL)
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("PTST_RECORD", str(record))
    return [sys.executable, str(script)], record


def _calls(record: Path) -> list[dict]:
    return [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []


def test_stages_run_in_order_then_skip(schedule_file: Path, fake_verl: tuple, tmp_path: Path) -> None:
    entry, record = fake_verl
    schedule = load_schedule(schedule_file)
    statuses: list[tuple[str, str]] = []
    outcomes = run(schedule, entry, on_stage=lambda plan, status: statuses.append((plan.stage.name, status)))
    assert [outcome.skipped for outcome in outcomes] == [False, False]
    first, second = (call["args"] for call in _calls(record))
    assert (first["data.max_response_length"], first["actor_rollout_ref.rollout.n"]) == ("512", "16")
    assert (second["data.max_response_length"], second["actor_rollout_ref.rollout.n"]) == ("1024", "8")
    assert first["trainer.resume_mode"] == "disable" and second["trainer.resume_mode"] == "resume_path"
    assert second["trainer.resume_from_path"] == str(tmp_path / "ckpt" / "global_step_4")
    assert (first["trainer.total_training_steps"], second["trainer.total_training_steps"]) == ("4", "8")
    assert second["actor_rollout_ref.actor.ppo_max_token_len_per_gpu"] == str(256 + 1024)
    assert statuses == [("short", "starting"), ("short", "finished"), ("long", "starting"), ("long", "finished")]

    again = run(schedule, entry)  # everything done: nothing is launched
    assert [outcome.skipped for outcome in again] == [True, True] and len(_calls(record)) == 2

    stages = read_metrics(tmp_path / "ckpt" / "metrics")
    assert [(stage.name, stage.steps) for stage in stages] == [("short", [1, 2, 3, 4]), ("long", [5, 6, 7, 8])]
    assert stages[1].mean("response_length") > stages[0].mean("response_length")
    png = plot_metrics(stages, tmp_path / "curves.png")
    assert png.stat().st_size > 5000


def test_crashed_stage_stops_with_its_output_then_resumes(
    schedule_file: Path, fake_verl: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry, record = fake_verl
    schedule = load_schedule(schedule_file)
    monkeypatch.setenv("PTST_CRASH_AT", "7")  # stage 2 saved step 6, then dies
    with pytest.raises(StageFailed, match="exit code 3") as failure:
        run(schedule, entry)
    assert "out of memory" in str(failure.value) and failure.value.stage.name == "long"
    monkeypatch.setenv("PTST_CRASH_AT", "0")
    outcomes = run(schedule, entry)
    assert [outcome.skipped for outcome in outcomes] == [True, False]
    resumed = _calls(record)[-1]["args"]
    assert resumed["trainer.resume_from_path"] == str(tmp_path / "ckpt" / "global_step_6")  # not step 4: no redo
    assert resumed["trainer.total_training_steps"] == "8"
    stages = read_metrics(tmp_path / "ckpt" / "metrics")
    assert stages[1].steps == [5, 6, 7, 8]  # both attempts' logs merged, nothing lost


def test_cli_plan_and_run(schedule_file: Path, fake_verl: tuple, tmp_path: Path) -> None:
    entry, record = fake_verl
    runner = CliRunner()
    planned = runner.invoke(
        app, ["ptst", "plan", str(schedule_file), "--mode", "stages", "--set", "trainer.project_name=demo"]
    )
    assert planned.exit_code == 0, planned.output
    assert "stage 2/2 long: 1024 tokens x 8 rollouts, global steps 5-8" in planned.output
    assert "trainer.project_name=demo" in planned.output and "-m vision_r1_plugins.ptst.main" in planned.output
    assert "+ptst.stage=1" in planned.output
    hook = runner.invoke(app, ["ptst", "plan", str(schedule_file)])
    assert hook.exit_code == 0, hook.output
    flat = " ".join(hook.output.split())
    assert "one verl run: short 512 tokens x 16 for 4 steps, then long 1024 tokens x 8 for 4 steps" in flat
    assert "data.max_response_length=1024" in flat and "trainer.resume_mode=auto" in flat
    ran = runner.invoke(app, ["ptst", "run", str(schedule_file), "--mode", "stages", "--entry", " ".join(entry)])
    assert ran.exit_code == 0, ran.output
    assert "PTST stages" in ran.output and len(_calls(record)) == 2
    metrics = runner.invoke(app, ["ptst", "metrics", str(schedule_file), "--plot", str(tmp_path / "p.png")])
    assert metrics.exit_code == 0 and (tmp_path / "p.png").is_file()


HANGING_VERL = r"""
import json, os, subprocess, sys, time
# Like a verl run whose weight sync failed inside a worker: one step logged, then waiting forever, with a child
# (Ray's daemons) of its own.
with open(os.environ["VERL_FILE_LOGGER_PATH"], "w") as log:
    log.write(json.dumps({"step": 1, "data": {"critic/score/mean": 0.0}}) + "\n")
child = subprocess.Popen(["sleep", "600"])
with open(os.path.join(os.path.dirname(os.environ["PTST_RECORD"]), "child.pid"), "w") as pid:
    pid.write(str(child.pid))
print("step 1 done; syncing weights", flush=True)
time.sleep(600)
"""


@pytest.mark.slow  # a kill test: waits out a 2-second timeout
def test_a_hung_run_is_killed_at_the_timeout_naming_where_it_stopped(
    schedule_file: Path, fake_verl: tuple, tmp_path: Path
) -> None:
    import os
    import time

    from vision_r1_plugins.ptst.runner import run_hook

    script = tmp_path / "hanging_verl.py"
    script.write_text(HANGING_VERL)
    started = time.monotonic()
    with pytest.raises(StageFailed) as failure:
        run_hook(load_schedule(schedule_file), [sys.executable, str(script)], timeout=2)
    assert time.monotonic() - started < 60
    message = str(failure.value)
    assert failure.value.timed_out and failure.value.last_step == 1
    assert "did not finish within 2 s (--timeout)" in message and "after global step 1" in message
    assert "syncing weights" in message  # the last output says what it was doing
    child = int((tmp_path / "child.pid").read_text())
    for _ in range(50):  # everything the run started went with it
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the hung run's child process is still alive")


def test_cli_timeout_is_a_clear_error(schedule_file: Path, fake_verl: tuple, tmp_path: Path) -> None:
    script = tmp_path / "hanging_verl.py"
    script.write_text(HANGING_VERL)
    result = CliRunner().invoke(
        app, ["ptst", "run", str(schedule_file), "--timeout", "1", "--entry", f"{sys.executable} {script}"]
    )
    assert result.exit_code == 1
    assert "did not finish within 1 s (--timeout)" in result.output and "Traceback" not in result.output
