"""Fixtures for real verl runs on CPU: the tiny model's RL parquet."""

from __future__ import annotations

from pathlib import Path

import pytest

from vision_r1_plugins.core.resources import sample_problems


@pytest.fixture(scope="session")
def rl_parquet(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("verl")
    from vision_r1_plugins.verl.rl_data import RLDataConfig, convert_rl_data

    out = tmp_path_factory.mktemp("rl") / "train"
    report = convert_rl_data(RLDataConfig(sample_problems(), out, model=tiny_model_dir, max_prompt_length=512))
    return report.outputs["train"]
