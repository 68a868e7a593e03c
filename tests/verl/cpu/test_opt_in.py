"""The CPU backend is opt-in: with our entry point installed and the switch off, ``import verl`` registers nothing
of it; with ``VISION_R1_VERL_CPU=1`` the platform and the hf rollout are there. Also the settings --cpu refuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.verl.cpu.overrides import CPU_OVERRIDES, cpu_overrides, gpu_only_settings

PROBE = """
import json, sys
import verl
from verl.plugin.platform.platform_manager import PlatformRegistry
from verl.workers.rollout.base import _ROLLOUT_REGISTRY
from verl.workers.rollout.replica import RolloutReplicaRegistry
from verl.experimental.reward_loop.reward_manager.registry import REWARD_MANAGER
import verl.utils.distributed as distributed
print(json.dumps({
    "platforms": list(PlatformRegistry.registered_names()),
    "rollouts": [name for name, _ in _ROLLOUT_REGISTRY],
    "replicas": list(RolloutReplicaRegistry._registry),
    "cpu_modules": sorted(name for name in sys.modules if name.startswith("vision_r1_plugins.verl.cpu.")),
    "patched_process_group": hasattr(distributed.initialize_global_process_group_ray, "__vision_r1_cpu__"),
    "reward_manager": "vision_r1" in REWARD_MANAGER,
}))
"""


def probe(switch: str | None) -> dict:
    pytest.importorskip("verl")
    env = {key: value for key, value in os.environ.items() if key not in ("VISION_R1_VERL_CPU", "VERL_PLATFORM")}
    if switch is not None:
        env["VISION_R1_VERL_CPU"] = switch
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # a fresh interpreter imports verl: 6 s
def test_switch_off_registers_nothing() -> None:
    state = probe(None)
    assert state["reward_manager"]  # our entry point did load
    assert "cpu" not in state["platforms"] and "hf" not in state["rollouts"] and "hf" not in state["replicas"]
    assert state["cpu_modules"] == [] and not state["patched_process_group"]


@pytest.mark.slow  # a fresh interpreter imports verl: 6 s
def test_switch_on_registers_the_cpu_platform_and_hf_rollout() -> None:
    state = probe("1")
    assert "cpu" in state["platforms"] and "hf" in state["rollouts"] and "hf" in state["replicas"]
    assert state["patched_process_group"]


def test_cpu_refuses_gpu_only_settings_by_name() -> None:
    tp = "actor_rollout_ref.rollout.tensor_model_parallel_size"
    with pytest.raises(UsageError, match=f"{tp}=2"):
        cpu_overrides({}, {tp: 2}, drop_gpu_settings=True)
    with pytest.raises(UsageError, match="gpu_memory_utilization"):
        cpu_overrides({"actor_rollout_ref.rollout.gpu_memory_utilization": 0.6}, {}, drop_gpu_settings=False)
    merged = cpu_overrides(
        {"actor_rollout_ref.rollout.gpu_memory_utilization": 0.6, tp: 2, "data.x": 1}, {}, drop_gpu_settings=True
    )
    assert "actor_rollout_ref.rollout.gpu_memory_utilization" not in merged and merged[tp] == 1
    assert (
        merged["data.x"] == 1
        and merged["actor_rollout_ref.rollout.name"] == CPU_OVERRIDES["actor_rollout_ref.rollout.name"]
    )
    assert gpu_only_settings({tp: 1, "actor_rollout_ref.rollout.name": "hf"}) == []


def test_vllm_rollout_gets_cpu_engine_settings_and_keeps_the_users_sizes() -> None:
    schedule = {"actor_rollout_ref.rollout.max_model_len": 2048, "data.x": 1}
    merged = cpu_overrides(schedule, {"actor_rollout_ref.rollout.max_num_seqs": 4}, False, rollout="vllm")
    assert merged["actor_rollout_ref.rollout.name"] == "vllm" and merged["actor_rollout_ref.rollout.mode"] == "async"
    assert merged["actor_rollout_ref.rollout.enforce_eager"] is True
    assert merged["actor_rollout_ref.rollout.free_cache_engine"] is False
    assert merged["+actor_rollout_ref.rollout.enable_sleep_mode"] is False
    assert merged["actor_rollout_ref.rollout.dtype"] == "float32"
    # The schedule's and the user's own engine sizes win over CPU's defaults.
    assert merged["actor_rollout_ref.rollout.max_model_len"] == 2048
    assert merged["actor_rollout_ref.rollout.max_num_seqs"] == 4
    assert merged["actor_rollout_ref.rollout.max_num_batched_tokens"] == 1024
    # The same engine options are refused for the hf rollout, which reads none of them.
    with pytest.raises(UsageError, match="max_num_seqs"):
        cpu_overrides({}, {"actor_rollout_ref.rollout.max_num_seqs": 4}, drop_gpu_settings=False)


def test_vllm_rollout_still_refuses_gpu_only_settings() -> None:
    with pytest.raises(UsageError, match="gpu_memory_utilization"):
        cpu_overrides({}, {"actor_rollout_ref.rollout.gpu_memory_utilization": 0.5}, False, rollout="vllm")
    with pytest.raises(UsageError, match="tensor_model_parallel_size=2"):
        cpu_overrides({}, {"actor_rollout_ref.rollout.tensor_model_parallel_size": 2}, False, rollout="vllm")
    with pytest.raises(UsageError, match=r"rollout\.name=sglang"):
        cpu_overrides({}, {"actor_rollout_ref.rollout.name": "sglang"}, False, rollout="vllm")
    # A smoke run drops a GPU recipe's engine sizes for CPU's.
    recipe = {"actor_rollout_ref.rollout.max_model_len": 12288, "actor_rollout_ref.rollout.gpu_memory_utilization": 0.6}
    smoke = cpu_overrides(recipe, {}, True, rollout="vllm")
    assert smoke["actor_rollout_ref.rollout.max_model_len"] == 1024
    assert "actor_rollout_ref.rollout.gpu_memory_utilization" not in smoke
    with pytest.raises(UsageError, match="--rollout must be one of hf, vllm"):
        cpu_overrides({}, {}, False, rollout="sglang")


def test_rollout_is_a_cpu_option_and_vllm_needs_the_rl_environment() -> None:
    from importlib.util import find_spec

    from typer.testing import CliRunner

    from vision_r1_plugins.cli import app
    from vision_r1_plugins.core.resources import recipe

    schedule = str(recipe("verl", "vision_r1_ptst_8gpu.yaml"))
    runner = CliRunner()
    no_cpu = runner.invoke(app, ["ptst", "plan", schedule, "--rollout", "vllm"])
    assert no_cpu.exit_code == 2 and "--rollout picks the CPU rollout engine (with --cpu)" in no_cpu.output
    unknown = runner.invoke(app, ["ptst", "plan", schedule, "--cpu", "--rollout", "sglang"])
    assert unknown.exit_code == 2 and "--rollout must be one of hf, vllm" in unknown.output
    if find_spec("vllm") is None:  # the SFT environment
        missing = runner.invoke(app, ["ptst", "plan", schedule, "--cpu", "--smoke", "--rollout", "vllm"])
        assert missing.exit_code == 2 and "make setup-rl" in missing.output and "Traceback" not in missing.output


@pytest.mark.slow  # a kill test: two interpreters, one importing the package
def test_a_vllm_process_exits_when_its_parent_is_killed(tmp_path) -> None:
    import signal

    import psutil

    # parent -> child; the child watches its parent the way vLLM's engine processes do under --cpu.
    ready = tmp_path / "watching"
    child_code = (
        "import pathlib, time; from vision_r1_plugins.verl.cpu.vllm_engine import exit_with_parent; "
        f"exit_with_parent(interval_s=0.05); pathlib.Path({str(ready)!r}).touch(); time.sleep(120)"
    )
    parent_code = (
        f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {child_code!r}]); time.sleep(120)"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code])
    try:
        for _ in range(600):
            if ready.exists():
                break
            time.sleep(0.05)
        (child,) = psutil.Process(parent.pid).children()
        assert ready.exists() and child.is_running()
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        child.wait(timeout=10)  # raises psutil.TimeoutExpired if the orphan lived on
    finally:
        if parent.poll() is None:
            parent.kill()
