"""The Hydra form of the hook (``examples/verl/config/vision_r1_ptst_8gpu.yaml``): it composes in verl's config
and passes every stage's checks; a missing stage list is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.ptst.schedule import ScheduleError, stage_index_for_step, stages_from_config

pytest.importorskip("verl")

from vision_r1_plugins.ptst.dry_run import compose_config
from vision_r1_plugins.ptst.preflight import check_stages

CONFIGS = Path(__file__).parents[2] / "examples" / "verl" / "config"


def compose_example(overrides: dict[str, str]):
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIGS), version_base=None):
        return compose("vision_r1_ptst_8gpu", overrides=[f"{key}={value}" for key, value in overrides.items()])


def test_example_config_composes_and_passes_the_checks(tiny_model_dir: Path, rl_parquet: Path) -> None:
    data, model = str(rl_parquet), str(tiny_model_dir)
    paths = {"data.train_files": data, "data.val_files": data, "actor_rollout_ref.model.path": model}
    config = compose_example({**paths, "data.train_batch_size": "32"})
    stages = stages_from_config(config)
    assert [(s.name, s.max_response_length, s.rollout_n, s.steps) for s in stages] == [
        ("stage1_4k_x16", 4096, 16, 100),
        ("stage2_8k_x8", 8192, 8, 100),
    ]
    assert check_stages(config, stages) == []
    assert [stage_index_for_step(stages, step) for step in (1, 100, 101, 200, 250)] == [0, 0, 1, 1, 1]


def test_missing_stage_list_is_a_usage_error(tiny_model_dir: Path) -> None:
    with pytest.raises(ScheduleError, match=r"\+ptst.stages=") as caught:
        stages_from_config(compose_config({"actor_rollout_ref.model.path": str(tiny_model_dir)}))
    assert isinstance(caught.value, UsageError)
