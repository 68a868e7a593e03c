"""The verl Hydra configs in examples/verl/config: they compose in verl's own config (through the searchpath they
declare) to exactly the settings of the PTST schedule of the same name, so the two forms cannot drift, and the
commands examples/README.md gives for them compose the same config through the real entry points."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from vision_r1_plugins.ptst.schedule import STAGES_KEY, load_schedule, stages_from_config

pytest.importorskip("verl")

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "examples" / "verl" / "config"
SCHEDULES = ROOT / "examples" / "verl" / "schedules"
NAMES = ["vision_r1_ptst_8gpu", "vision_r1_zero_8gpu", "vision_r1_long_8gpu"]
# The PTST config runs through the project's entry point (the PTST trainer); the one-stage baselines through
# plain verl with the project's reward.
ENTRY = {
    "vision_r1_ptst_8gpu": "vision_r1_plugins.ptst.main",
    "vision_r1_zero_8gpu": "verl.trainer.main_ppo",
    "vision_r1_long_8gpu": "verl.trainer.main_ppo",
}


def compose(name: str, overrides: list[str] | None = None) -> Any:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIGS), version_base=None):
        return hydra_compose(config_name=name, overrides=overrides or [])


def expected(name: str) -> dict[str, Any]:
    """What the schedule runs as one verl process: its hook-mode overrides (the PTST stage list only where the
    PTST trainer reads it)."""
    overrides = load_schedule(SCHEDULES / f"{name}.yaml").hook_overrides()
    if ENTRY[name] != "vision_r1_plugins.ptst.main":
        del overrides[f"+{STAGES_KEY}"]
    return {key.lstrip("+"): value for key, value in overrides.items()}


def assert_matches(config: Any, name: str) -> None:
    from omegaconf import OmegaConf

    for key, value in expected(name).items():
        found = OmegaConf.select(config, key)
        found = OmegaConf.to_container(found) if OmegaConf.is_config(found) else found
        assert found == value, f"{name}: {key} is {found!r} in the Hydra config, {value!r} in the schedule"


def test_every_config_has_its_schedule() -> None:
    assert sorted(path.stem for path in CONFIGS.glob("*.yaml")) == sorted(NAMES)
    assert sorted(path.stem for path in SCHEDULES.glob("*.yaml")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_config_composes_to_the_schedule_settings(name: str) -> None:
    config = compose(name)
    assert_matches(config, name)
    assert config.reward.custom_reward_function.path == "pkg://vision_r1_plugins.reward"
    assert config.actor_rollout_ref.rollout.n == load_schedule(SCHEDULES / f"{name}.yaml").stages[0].rollout_n
    assert "ptst" in config if name == "vision_r1_ptst_8gpu" else "ptst" not in config
    # verl's own defaults are still there under ours: the config extends ppo_trainer, it does not replace it
    assert config.critic is not None and config.algorithm.gamma == 1.0


def test_ptst_config_carries_the_paper_stages() -> None:
    config = compose("vision_r1_ptst_8gpu")
    stages = stages_from_config(config)
    assert [(s.name, s.max_response_length, s.rollout_n, s.steps) for s in stages] == [
        ("stage1_4k_x16", 4096, 16, 100),
        ("stage2_8k_x8", 8192, 8, 100),
    ]
    assert config.data.max_response_length == 8192 and config.trainer.total_training_steps == 200


def test_command_line_overrides_win(tmp_path: Path) -> None:
    config = compose("vision_r1_zero_8gpu", [f"data.train_files={tmp_path}/train.parquet", "trainer.n_gpus_per_node=4"])
    assert config.data.train_files == f"{tmp_path}/train.parquet" and config.trainer.n_gpus_per_node == 4


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_the_documented_command_composes_through_its_entry_point(name: str) -> None:
    """The command of examples/README.md, with Hydra's --cfg job (print the config, run nothing)."""
    command = [sys.executable, "-m", ENTRY[name], "--config-path", str(CONFIGS), "--config-name", name, "--cfg", "job"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "HYDRA_FULL_ERROR": "1"}
    )
    assert done.returncode == 0, done.stderr[-3000:]
    from omegaconf import OmegaConf

    assert_matches(OmegaConf.create(yaml.safe_load(done.stdout)), name)
