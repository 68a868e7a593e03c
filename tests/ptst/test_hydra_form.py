"""The Hydra form of the hook (``examples/verl/run_ptst_hydra.sh``): its overrides compose in verl's config and
pass every stage's checks; a missing stage list is a clear error."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.ptst.schedule import ScheduleError, stage_index_for_step, stages_from_config

pytest.importorskip("verl")

from vision_r1_plugins.ptst.dry_run import compose_config
from vision_r1_plugins.ptst.preflight import check_stages

SCRIPT = Path(__file__).parents[2] / "examples" / "verl" / "run_ptst_hydra.sh"


def script_overrides(model: Path, data: Path) -> dict[str, str]:
    text = SCRIPT.read_text().replace('"$DATA/train.parquet"', str(data)).replace('"$DATA/test.parquet"', str(data))
    text = text.replace('"$MODEL"', str(model))
    words = shlex.split(text[text.index("exec python -m") :].replace("\\\n", " "))
    assert words[:4] == ["exec", "python", "-m", "vision_r1_plugins.ptst.main"]
    return dict(word.split("=", 1) for word in words[4:] if "=" in word)


def test_example_script_composes_and_passes_the_checks(tiny_model_dir: Path, rl_parquet: Path) -> None:
    overrides = script_overrides(tiny_model_dir, rl_parquet)
    config = compose_config({**overrides, "data.train_batch_size": "32"})
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
