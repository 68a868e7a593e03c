"""Every stage checked against verl's composed config before Ray starts (``ptst run`` and ``ptst.main``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.core.resources import recipe
from vision_r1_plugins.ptst.schedule import Stage, load_schedule

pytest.importorskip("verl")

from vision_r1_plugins.ptst.dry_run import compose_config
from vision_r1_plugins.ptst.preflight import check_stages


def paper_config(tiny_model_dir: Path, data: Path, **extra: object):
    schedule = load_schedule(recipe("verl") / "vision_r1_ptst_8gpu.yaml")
    overrides = {
        **schedule.hook_overrides(),
        "actor_rollout_ref.model.path": str(tiny_model_dir),
        "data.train_files": str(data),
        "data.val_files": str(data),
        **extra,
    }
    return compose_config(overrides), schedule.stages


def test_a_file_smaller_than_one_batch_fails_before_ray(tiny_model_dir: Path, rl_parquet: Path) -> None:
    config, stages = paper_config(tiny_model_dir, rl_parquet)
    problems = check_stages(config, stages)
    assert problems == [
        "data.train_files hold 36 rows, fewer than one batch (data.train_batch_size=128); "
        "lower the batch size or add data"
    ]


def test_every_stage_is_checked_not_only_the_first(tiny_model_dir: Path, rl_parquet: Path, tmp_path: Path) -> None:
    config, stages = paper_config(tiny_model_dir, tmp_path / "missing.parquet", **{"data.train_batch_size": 36})
    later = (*stages, Stage("stage3_odd", 8192, 3, 10))
    problems = "\n".join(check_stages(config, later))
    assert "missing.parquet does not exist" in problems
    assert "stage stage3_odd: train_batch_size x n = 108 does not split over 8 GPUs" in problems
    assert "stage stage1" not in problems and "stage stage2" not in problems


def test_token_caps_must_cover_the_longest_stage(tiny_model_dir: Path, rl_parquet: Path) -> None:
    key = "actor_rollout_ref.actor.ppo_max_token_len_per_gpu"
    config, stages = paper_config(tiny_model_dir, rl_parquet, **{key: 4096, "data.train_batch_size": 32})
    assert check_stages(config, stages) == [f"{key}=4096 < prompt + longest response = 9216"]


def test_cli_dry_run_reports_the_small_file(tiny_model_dir: Path, rl_parquet: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ptst.yaml"
    copy.write_text((recipe("verl") / "vision_r1_ptst_8gpu.yaml").read_text())
    sets = [
        f"actor_rollout_ref.model.path={tiny_model_dir}",
        f"data.train_files={rl_parquet}",
        f"data.val_files={rl_parquet}",
    ]
    result = CliRunner().invoke(app, ["ptst", "run", str(copy), "--dry-run", *(f"--set={item}" for item in sets)])
    assert result.exit_code == 2, result.output
    assert "fewer than one batch" in result.output and "Traceback" not in result.output


def test_cpu_with_tensor_parallel_names_the_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    copy = tmp_path / "ptst.yaml"
    copy.write_text((recipe("verl") / "vision_r1_ptst_8gpu.yaml").read_text())
    tp = "actor_rollout_ref.rollout.tensor_model_parallel_size"
    result = CliRunner().invoke(app, ["ptst", "run", str(copy), "--cpu", "--smoke", "--set", f"{tp}=2"])
    assert result.exit_code == 2 and f"{tp}=2" in result.output and "Traceback" not in result.output
    plain = CliRunner().invoke(app, ["ptst", "run", str(copy), "--cpu"])
    assert plain.exit_code == 2 and "gpu_memory_utilization" in plain.output and "--smoke" in plain.output
    smoke_only = CliRunner().invoke(app, ["ptst", "run", str(copy), "--smoke"])
    assert smoke_only.exit_code == 2 and "add --cpu" in smoke_only.output
