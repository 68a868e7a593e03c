"""Shared fixtures. Tests run offline (no hub) and never import a package named ``tests`` (verl ships one)."""

from __future__ import annotations

import os

for _name, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "WANDB_DISABLED": "true",
    "TOKENIZERS_PARALLELISM": "false",
    "RAY_DISABLE_DOCKER_CPU_WARNING": "1",
    # A crash inside the reward raises in tests instead of scoring 0 as internal_error (and child processes
    # such as Ray workers inherit it).
    "VISION_R1_REWARD_RAISE_ON_ERROR": "1",
}.items():
    os.environ.setdefault(_name, _value)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def tiny_tokenizer_dir(tmp_path_factory: pytest.TempPathFactory):
    from vision_r1_plugins.testing.tiny import build_tiny_tokenizer

    out = tmp_path_factory.mktemp("tiny-tokenizer")
    build_tiny_tokenizer(out, seed=0)
    return out


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory):
    """A whole tiny Qwen2.5-VL (model + processor), built once per test session."""
    from vision_r1_plugins.testing.tiny import build_tiny_qwen2_5_vl

    return build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny-qwen2_5_vl"), seed=0)
