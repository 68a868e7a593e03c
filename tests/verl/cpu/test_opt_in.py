"""The CPU backend is opt-in: with our entry point installed and the switch off, ``import verl`` registers nothing
of it; with ``VISION_R1_VERL_CPU=1`` the platform and the hf rollout are there. Also the settings --cpu refuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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
    merged = cpu_overrides({"actor_rollout_ref.rollout.gpu_memory_utilization": 0.6, tp: 2, "data.x": 1}, {},
                           drop_gpu_settings=True)  # fmt: skip
    assert "actor_rollout_ref.rollout.gpu_memory_utilization" not in merged and merged[tp] == 1
    assert merged["data.x"] == 1 and merged["actor_rollout_ref.rollout.name"] == CPU_OVERRIDES[
        "actor_rollout_ref.rollout.name"]  # fmt: skip
    assert gpu_only_settings({tp: 1, "actor_rollout_ref.rollout.name": "hf"}) == []
