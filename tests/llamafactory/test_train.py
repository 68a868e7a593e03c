"""Real LLaMA-Factory SFT through our launcher, on CPU with the tiny Qwen2.5-VL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.core import resources
from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.llamafactory.registry import load_plugins, plugin_modules, register_template_once
from vision_r1_plugins.llamafactory.train import check_training_args, parse_training_args, torchrun_command
from vision_r1_plugins.testing.synthetic import write_sharegpt_dataset

PLUGIN = """
import dataclasses, inspect
from llamafactory.data.template import TEMPLATES, register_template
from vision_r1_plugins.llamafactory.registry import register_template_once

base = TEMPLATES["qwen2_vl"]
accepted = set(inspect.signature(register_template).parameters) - {"name", "template_class"}
fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base) if f.name in accepted}
fields["default_system"] = "Think first, then answer."
register_template_once("vr1_test_qwen2_vl", template_class=type(base), **fields)
"""


def _config(tmp_path: Path, model: Path, data_dir: Path, **overrides: object) -> Path:
    config = {
        "model_name_or_path": str(model),
        "stage": "sft",
        "do_train": True,
        "finetuning_type": "full",
        "freeze_vision_tower": False,
        "freeze_multi_modal_projector": False,
        "dataset": "toy",
        "dataset_dir": str(data_dir),
        "template": "qwen2_vl",
        "cutoff_len": 512,
        "overwrite_cache": True,
        "output_dir": str(tmp_path / "out"),
        "overwrite_output_dir": True,
        "max_steps": 3,
        "per_device_train_batch_size": 1,
        "learning_rate": 1.0e-2,
        "logging_steps": 1,
        "save_strategy": "steps",
        "save_steps": 3,
        "bf16": False,
        "report_to": "none",
        "seed": 0,
        **overrides,
    }
    path = tmp_path / "sft.yaml"
    path.write_text("\n".join(f"{key}: {json.dumps(value)}" for key, value in config.items()) + "\n")
    return path


def _vision_weights(path: Path) -> dict[str, torch.Tensor]:
    from transformers import AutoModelForImageTextToText

    model = AutoModelForImageTextToText.from_pretrained(path)
    return {name: tensor.detach().clone() for name, tensor in model.named_parameters() if ".visual." in f".{name}"}


@pytest.mark.slow
def test_sft_through_the_launcher(tmp_path: Path, tiny_model_dir: Path) -> None:
    data_dir = tmp_path / "data"
    write_sharegpt_dataset(data_dir, "toy", rows=6)
    # Registered by our command into a dataset_info.json that already has someone else's entry.
    (data_dir / "dataset_info.json").write_text(json.dumps({"theirs": {"file_name": "x.json"}}))
    result = CliRunner().invoke(
        app, ["lf", "register", "--dataset-dir", str(data_dir), "--entries", "vision_r1_bridged"]
    )
    assert result.exit_code == 0, result.output
    (data_dir / "toy.json").rename(data_dir / "vision_r1_bridged.json")
    config = _config(tmp_path, tiny_model_dir, data_dir, dataset="vision_r1_bridged")
    before = _vision_weights(tiny_model_dir)

    result = CliRunner().invoke(app, ["sft", str(config), "max_steps=3"])
    assert result.exit_code == 0, result.output

    out = tmp_path / "out"
    logs = [json.loads(line) for line in (out / "trainer_log.jsonl").read_text().splitlines()]
    losses = [entry["loss"] for entry in logs if "loss" in entry]
    assert len(losses) == 3 and all(torch.isfinite(torch.tensor(losses)))
    after = _vision_weights(out / "checkpoint-3")  # the checkpoint reloads
    assert before.keys() == after.keys() and before
    changed = [name for name in before if not torch.equal(before[name], after[name])]
    assert changed, "the vision tower received no gradient: the images never reached the model"


def test_key_value_overrides_and_missing_config(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("stage: sft\nlearning_rate: 1.0e-5\ndataset: a,b\n")
    parsed = parse_training_args([str(config), "learning_rate=2e-5", "output_dir=/x"])
    assert parsed == {"stage": "sft", "learning_rate": 2e-5, "dataset": "a,b", "output_dir": "/x"}
    assert parse_training_args(["--stage", "sft"]) == ["--stage", "sft"]
    with pytest.raises(UsageError, match="training config not found"):
        parse_training_args([str(tmp_path / "missing.yaml")])


@pytest.mark.parametrize("recipe", sorted(resources.recipe("llamafactory").glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_recipes_pass_the_argument_check(recipe: Path, tmp_path: Path) -> None:
    """No false alarm: every key of the recipes is one LLaMA-Factory knows, and their template exists (the
    datasets are left out: they live in the user's dataset_dir)."""
    import yaml

    args = yaml.safe_load(recipe.read_text())
    assert "model_name_or_path" in args and "template" in args
    check_training_args({key: value for key, value in args.items() if key not in ("dataset", "eval_dataset")})
    with pytest.raises(UsageError, match="did you mean 'learning_rate'"):
        check_training_args({**args, "learning_rat": 1.0})


def test_argument_check_respects_allow_extra_args(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = {"model_name_or_path": str(tmp_path), "stage": "sft", "my_own_key": 1}
    with pytest.raises(UsageError, match="no argument 'my_own_key'"):
        check_training_args(args)
    monkeypatch.setenv("ALLOW_EXTRA_ARGS", "1")
    check_training_args(args)  # passed through, as LLaMA-Factory itself does
    with pytest.raises(UsageError, match="no model_name_or_path"):
        check_training_args({"stage": "sft"})


def test_torchrun_command_reexecutes_our_module(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "NNODES": "4",
        "NODE_RANK": "2",
        "NPROC_PER_NODE": "8",
        "MASTER_ADDR": "10.0.0.1",
        "MASTER_PORT": "29500",
    }.items():
        monkeypatch.setenv(name, value)
    command, env = torchrun_command(["cfg.yaml", "dataset_dir=/path with spaces"])
    assert command[:3] == [sys.executable, "-m", "torch.distributed.run"]
    assert command[-4:] == ["-m", "vision_r1_plugins.llamafactory.train", "cfg.yaml", "dataset_dir=/path with spaces"]
    assert command[command.index("--nnodes") + 1] == "4" and command[command.index("--node_rank") + 1] == "2"
    assert command[command.index("--master_addr") + 1] == "10.0.0.1"
    assert env["TORCH_NCCL_AVOID_RECORD_STREAMS"] == "1"
    monkeypatch.setenv("RDZV_ID", "job7")
    elastic, _ = torchrun_command(["cfg.yaml"])
    assert "--rdzv-endpoint" in elastic and elastic[elastic.index("--rdzv-endpoint") + 1] == "10.0.0.1:29500"


def test_registration_helpers_are_idempotent_and_plugins_fail_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "vr1_test_plugin.py").write_text(textwrap.dedent(PLUGIN))
    (tmp_path / "vr1_broken_plugin.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("VISION_R1_LF_PLUGINS", "vr1_test_plugin")
    assert plugin_modules(["vr1_test_plugin"]) == ["vr1_test_plugin"]
    assert load_plugins() == ["vr1_test_plugin"]
    from llamafactory.data.template import TEMPLATES

    assert TEMPLATES["vr1_test_qwen2_vl"].default_system == "Think first, then answer."
    assert register_template_once("vr1_test_qwen2_vl") is False  # a second registration is a no-op
    with pytest.raises(ImportError, match="vr1_broken_plugin"):
        load_plugins(["vr1_broken_plugin"])


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_torchrun_ranks_load_plugins(tmp_path: Path, tiny_model_dir: Path) -> None:
    """FORCE_TORCHRUN on CPU with 2 ranks: a template registered by a plugin must exist on every rank.
    (LLaMA-Factory's own launcher re-executes llamafactory/launcher.py, where it would not.)"""
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "vr1_test_plugin.py").write_text(textwrap.dedent(PLUGIN))
    data_dir = tmp_path / "data"
    write_sharegpt_dataset(data_dir, "toy", rows=4)
    config = _config(tmp_path, tiny_model_dir, data_dir, template="vr1_test_qwen2_vl", max_steps=2, save_steps=2)
    env = {
        **os.environ,
        "FORCE_TORCHRUN": "1",
        "NPROC_PER_NODE": "2",
        "VISION_R1_LF_PLUGINS": "vr1_test_plugin",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path / "plugins"), os.environ.get("PYTHONPATH")])),
    }
    completed = subprocess.run(
        [sys.executable, "-m", "vision_r1_plugins.llamafactory.train", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        cwd=tmp_path,
    )
    log = completed.stdout + completed.stderr
    assert completed.returncode == 0, log[-4000:]
    assert "world size: 2" in log and "Process rank: 1" in log
    assert (tmp_path / "out" / "checkpoint-2").is_dir()


def test_the_module_entry_reports_a_usage_mistake_in_one_line(tmp_path: Path) -> None:
    """``python -m vision_r1_plugins.llamafactory.train`` is what torchrun runs on each rank."""
    missing = tmp_path / "no.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "vision_r1_plugins.llamafactory.train", str(missing)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"error: training config not found: {missing} (vision-r1 recipes copy DIR writes the bundled ones)"
    ]
