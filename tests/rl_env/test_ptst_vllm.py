"""PTST with verl's own vLLM rollout on CPU (``vision-r1 ptst run --cpu --rollout vllm``), in the RL environment:
real GRPO steps with the tiny model (head_dim 32), Ray on 127.0.0.1, vLLM's AsyncLLM engine in verl's
``vLLMHttpServer``. Two runs answer every test here:

- verl's default trainer (``trainer.use_v1=true``), killed with SIGKILL during stage 2 and rerun;
- verl's classic trainer (``trainer.use_v1=false``), straight through.

The engine's own requests are logged by our vLLM plugin (``VISION_R1_VLLM_REQUEST_LOG``): what ``max_tokens`` and
``n`` reached vLLM at each stage, which verl's response-length metrics cannot show (its agent loop also cuts
responses to the stage length). Each run carries ``--timeout``: a failed weight sync leaves verl waiting forever.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from vision_r1_plugins.testing.processes import finish, start_cli
from vision_r1_plugins.testing.schedules import CPU_STAGES, write_cpu_schedule

pytest.importorskip("vllm")
pytest.importorskip("transfer_queue")
pytestmark = pytest.mark.slow

DENSE_REWARD = "pkg://vision_r1_plugins.testing.dense_reward"
RUN_TIMEOUT = "420"  # seconds; a run here takes 2-3 minutes
PROMPTS_PER_STEP = 2  # data.train_batch_size
SHORT, LONG = CPU_STAGES


def ptst(folder: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    argv = ["ptst", "run", str(folder / "schedule.yaml"), "--cpu", "--rollout", "vllm", "--timeout", RUN_TIMEOUT, *args]
    return argv, {"VISION_R1_VLLM_REQUEST_LOG": str(folder / "engine-requests.jsonl")}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def metrics_rows(schedule: Path) -> list[dict]:
    code, output = finish(start_cli("ptst", "metrics", str(schedule), "--json"), 120)
    assert code == 0, output
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def logged_steps(log: Path) -> set[int]:
    return (
        {json.loads(line)["step"] for line in log.read_text().splitlines() if line.strip()} if log.is_file() else set()
    )


def outlived(processes: list[psutil.Process], seconds: float) -> list[str]:
    """The processes still running (zombies aside) after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        alive = []
        for process in processes:
            with contextlib.suppress(psutil.Error):
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(f"{process.pid} {process.name()}")
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.5)


def killed_and_resumed(folder: Path, model: Path, data: Path, *args: str) -> dict:
    """A hook-mode run SIGKILLed during stage 2 (once step 3, stage 2's first, is logged: step 4 is running), then
    rerun with the same command."""
    verl = {"reward.custom_reward_function.path": DENSE_REWARD, "trainer.save_freq": 1}
    schedule = write_cpu_schedule(folder, model, data, **verl)
    argv, env = ptst(folder, *args)
    metrics_log = folder / "checkpoints" / "metrics" / "hook-from0.jsonl"
    first_log = folder / "first.log"
    first = start_cli(*argv, start_new_session=True, log=first_log, env=env)
    deadline = time.monotonic() + 400
    try:
        while 3 not in logged_steps(metrics_log):
            assert first.poll() is None, first_log.read_text()[-6000:]
            assert time.monotonic() < deadline, "stage 2 never started: " + first_log.read_text()[-3000:]
            time.sleep(0.2)
        tree = psutil.Process(first.pid).children(recursive=True)  # Ray, its workers, vLLM's engine processes
        os.killpg(first.pid, signal.SIGKILL)
    finally:
        first.wait(timeout=60)
    survivors = outlived(tree, 30)
    killed_at = sorted(int(path.name.split("_")[-1]) for path in (folder / "checkpoints").glob("global_step_*"))
    requests_before_kill = len(read_jsonl(folder / "engine-requests.jsonl"))
    second_log = folder / "second.log"
    code, output = finish(start_cli(*argv, log=second_log, env=env), 480, log=second_log)
    assert code == 0, output[-6000:]
    return {
        "folder": folder,
        "schedule": schedule,
        "output": output,
        "first_output": first_log.read_text(),
        "killed_at": killed_at,
        "survivors": survivors,
        "killed": True,
        "requests_before_kill": requests_before_kill,
        "requests": read_jsonl(folder / "engine-requests.jsonl"),
        "rows": metrics_rows(schedule),
    }


@pytest.fixture(scope="module")
def v1_run(vllm_model_dir: Path, vllm_rl_parquet: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """verl's default trainer (V1, sync mode)."""
    folder = tmp_path_factory.mktemp("v1")
    return killed_and_resumed(folder, vllm_model_dir, vllm_rl_parquet, "--set", "trainer.use_v1=true")


@pytest.fixture(scope="module")
def classic_run(vllm_model_dir: Path, vllm_rl_parquet: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """verl's classic trainer (the recipes' trainer.use_v1: false, which --cpu also sets), straight through: its
    kill-and-resume is tested with the hf rollout (tests/ptst/test_cpu_training.py), the vLLM engine's after a
    resume by the V1 run; a second killed vLLM run would cost make test another 2 minutes."""
    folder = tmp_path_factory.mktemp("classic")
    verl = {"reward.custom_reward_function.path": DENSE_REWARD}
    schedule = write_cpu_schedule(folder, vllm_model_dir, vllm_rl_parquet, **verl)
    argv, env = ptst(folder)
    log = folder / "run.log"
    code, output = finish(start_cli(*argv, log=log, env=env), 480, log=log)
    assert code == 0, output[-6000:]
    requests = read_jsonl(folder / "engine-requests.jsonl")
    return {
        "folder": folder,
        "schedule": schedule,
        "output": output,
        "requests": requests,
        "requests_before_kill": len(requests),
        "rows": metrics_rows(schedule),
        "killed": False,
    }


RUNS = ["v1_run", "classic_run"]


@pytest.fixture(params=RUNS)
def vllm_run(request: pytest.FixtureRequest) -> dict:
    return request.getfixturevalue(request.param)


def test_each_trainer_ran_as_asked(v1_run: dict, classic_run: dict) -> None:
    assert "PTSTTaskRunnerV1" in v1_run["output"]
    assert "PTSTTaskRunner " in classic_run["output"] and "PTSTTaskRunnerV1" not in classic_run["output"]
    for run in (v1_run, classic_run):  # verl's own vLLM server, not the hf stand-in
        assert "vLLMHttpServer" in run["output"] and "HFServer" not in run["output"]


def test_the_engine_receives_each_stages_max_tokens_and_n(vllm_run: dict) -> None:
    requests = vllm_run["requests"]
    # verl's agent loop sends one request per sample (n=1 each): rollout.n shows as requests per prompt.
    assert {request["n"] for request in requests} == {1}
    stage1 = SHORT["steps"] * PROMPTS_PER_STEP * SHORT["rollout_n"]
    per_step = PROMPTS_PER_STEP * LONG["rollout_n"]
    first = [request["max_tokens"] for request in requests[: vllm_run["requests_before_kill"]]]
    rerun = [request["max_tokens"] for request in requests[vllm_run["requests_before_kill"] :]]
    assert first[:stage1] == [SHORT["max_response_length"]] * stage1
    if not vllm_run["killed"]:
        assert first[stage1:] == [LONG["max_response_length"]] * (LONG["steps"] * per_step) and not rerun
        return
    # Then step 3 whole, and whatever part of step 4 the kill let through; the rerun runs step 4 alone.
    assert set(first[stage1:]) == {LONG["max_response_length"]} and per_step <= len(first) - stage1 <= 2 * per_step
    assert rerun == [LONG["max_response_length"]] * per_step


def test_metrics_show_the_stage_of_every_step(vllm_run: dict) -> None:
    rows = vllm_run["rows"]
    assert [row["step"] for row in rows] == [1, 2, 3, 4]  # each step exactly once, across the kill
    assert [(row["stage"], row["rollout_n"], row["rollout_n_source"]) for row in rows] == [
        ("short_many", 4, "trainer")
    ] * 2 + [("long_few", 2, "trainer")] * 2
    assert all(row["response_length_max"] <= 16 for row in rows[:2])
    assert (
        all(row["response_length_max"] <= 32 for row in rows[2:]) and max(r["response_length_max"] for r in rows) > 16
    )
    assert all(row["grad_norm"] > 0 for row in rows)


def test_weights_reach_the_engine_after_every_update(vllm_run: dict) -> None:
    # The engine's log-probs of its own tokens match the actor's recomputation at every step: the oneDNN packing
    # is off, so verl's in-place weight sync lands (lr 1e-3 moves the weights far more than this).
    # The rerun's first step counts too: the weights it loaded from the checkpoint reached the fresh engine (verl
    # starts vLLM with random "dummy" weights, so a missed sync would show here).
    records = [
        (path.name, record["step"], record["data"]["training/rollout_probs_diff_max"])
        for path in sorted((vllm_run["folder"] / "checkpoints" / "metrics").glob("*.jsonl"))
        for record in read_jsonl(path)
        if "training/rollout_probs_diff_max" in record["data"]
    ]
    assert {step for _, step, _ in records} == {1, 2, 3, 4}
    if vllm_run["killed"]:
        assert ("hook-from3.jsonl", 4) in {record[:2] for record in records}
    assert max(diff for *_, diff in records) < 1e-3


def test_kill_in_stage_2_resumes_in_stage_2(v1_run: dict) -> None:
    run = v1_run
    checkpoints = run["folder"] / "checkpoints"
    assert max(run["killed_at"]) == 3 and (checkpoints / "global_step_2").is_dir()  # the stage boundary is saved
    assert "PTST resuming at global step 4 of 4" in run["output"]
    # Nothing of the killed run lives on: vLLM's engine processes (their own process group under a Ray actor)
    # follow their parent out under --cpu instead of holding their memory forever.
    assert run["survivors"] == []
    assert (checkpoints / "metrics" / "hook-from3.jsonl").is_file() and (checkpoints / "global_step_4").is_dir()
