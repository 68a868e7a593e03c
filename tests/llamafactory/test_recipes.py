"""Every recipe in examples/llamafactory/ through LLaMA-Factory's own argument parser.

Each is parsed as a user runs it: from the repository root as written (``llamafactory-cli train
examples/llamafactory/NAME.yaml``), and copied out by ``vision-r1 recipes copy NAME DIR`` and read from another folder.
Only ``model_name_or_path`` (the tiny model) and ``output_dir`` are swapped, so a misspelt key, a bad value or a
DeepSpeed file that cannot be found from there fails here. Each recipe is parsed in a fresh process set up as one
torchrun rank (DeepSpeed recipes must be distributed) with transformers' "bf16-capable GPU" probe answering yes:
CI has no GPU, and that probe is the only thing that differs from a GPU node. DeepSpeed's own gloo initialisation
runs for real.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from vision_r1_plugins.core import resources
from vision_r1_plugins.core.recipes import copy_recipes

ROOT = resources.shipped_root()
RECIPES = sorted(resources.recipe("llamafactory").glob("*.yaml"))
GPUS = {
    "vision_r1_cold_start_8gpu": 8,
    "vision_r1_cold_start_32gpu": 32,
    "vision_r1_bridged_8gpu": 8,
    "vision_r1_lora_1gpu": 1,
}

PARSE = r"""
import json, os, sys
import yaml
import transformers.training_args as training_args
training_args.is_torch_bf16_gpu_available = lambda: True
from llamafactory.hparams import get_train_args
from transformers.integrations import is_deepspeed_zero3_enabled

# Each (recipe, folder) pair is parsed from that folder, in one interpreter: importing LLaMA-Factory is most of
# the cost, and the pairs are one recipe's forms (as written, copied), so ZeRO-3's process-wide flag agrees.
model_path, out = sys.argv[1], sys.argv[2]
for recipe_path, folder in zip(sys.argv[3::2], sys.argv[4::2]):
  os.chdir(folder)
  recipe = yaml.safe_load(open(recipe_path))
  recipe["model_name_or_path"], recipe["output_dir"] = model_path, out
  model, data, train, finetune, _ = get_train_args(recipe)
  print("PARSED " + json.dumps({
    "stage": finetune.stage, "finetuning_type": finetune.finetuning_type, "template": data.template,
    "dataset": data.dataset, "cutoff_len": data.cutoff_len, "image_max_pixels": model.image_max_pixels,
    "freeze_vision_tower": finetune.freeze_vision_tower, "learning_rate": train.learning_rate,
    "epochs": train.num_train_epochs, "scheduler": str(train.lr_scheduler_type.value),
    "warmup_ratio": train.warmup_ratio, "per_device": train.per_device_train_batch_size,
    "accumulation": train.gradient_accumulation_steps, "bf16": train.bf16, "zero3": is_deepspeed_zero3_enabled(),
    "lora_rank": finetune.lora_rank, "parallel_mode": str(train.parallel_mode), "deepspeed": train.deepspeed,
  }))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _parse(model: Path, out: Path, *forms: tuple[Path, Path]) -> list[dict]:
    """LLaMA-Factory's parse of each (recipe, folder it is run from)."""
    env = {
        **os.environ,
        "LOCAL_RANK": "0",
        "RANK": "0",
        "WORLD_SIZE": "1",
        "LOCAL_WORLD_SIZE": "1",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(_free_port()),
    }
    completed = subprocess.run(
        [sys.executable, "-c", PARSE, str(model), str(out), *(str(part) for form in forms for part in form)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    parsed = [
        json.loads(line.removeprefix("PARSED ")) for line in completed.stdout.splitlines() if line.startswith("PARSED ")
    ]
    assert len(parsed) == len(forms), completed.stdout[-4000:]
    return parsed


def test_every_recipe_is_listed() -> None:
    assert {recipe.stem for recipe in RECIPES} == set(GPUS)
    for recipe in RECIPES:
        text = recipe.read_text()
        assert "image_max_pixels:" in text, f"{recipe.name} must state image_max_pixels"
        deepspeed = yaml.safe_load(text).get("deepspeed")
        if deepspeed:
            assert deepspeed == "examples/deepspeed/ds_z3_config.json", f"{recipe.name}: relative to the repository"
            assert (ROOT / deepspeed).is_file()
        assert yaml.safe_load(text)["dataset_dir"] in ("data", "/path/to/bridge_output")


@pytest.mark.slow
@pytest.mark.parametrize("recipe", RECIPES, ids=[recipe.stem for recipe in RECIPES])
def test_recipe_parses_with_the_paper_settings(recipe: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    """As written, from the repository root (`llamafactory-cli train examples/llamafactory/NAME.yaml`: the relative
    DeepSpeed path is found there), and copied out by `vision-r1 recipes copy` and run from another folder."""
    copied = copy_recipes(recipe.stem, tmp_path / "copy")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    as_written, parsed = _parse(
        tiny_model_dir, tmp_path / "out", (recipe.relative_to(ROOT), ROOT), (copied.yamls[recipe.stem], elsewhere)
    )
    assert as_written["stage"] == "sft" and as_written["template"] == "qwen2_vl"
    if as_written["zero3"]:
        assert as_written["deepspeed"] == "examples/deepspeed/ds_z3_config.json"
    assert {key: value for key, value in as_written.items() if key != "deepspeed"} == {
        key: value for key, value in parsed.items() if key != "deepspeed"
    }  # a copy changes where the files are, nothing else
    gpus = GPUS[recipe.stem]
    assert parsed["stage"] == "sft" and parsed["template"] == "qwen2_vl" and parsed["bf16"] is True
    assert parsed["image_max_pixels"] == 768 * 768
    assert parsed["per_device"] * parsed["accumulation"] * gpus == 32  # the paper's global batch
    assert parsed["epochs"] == 2.0 and parsed["scheduler"] == "cosine" and parsed["warmup_ratio"] == 0.05
    assert parsed["freeze_vision_tower"] is True
    if recipe.stem == "vision_r1_lora_1gpu":
        assert parsed["finetuning_type"] == "lora" and parsed["lora_rank"] == 64 and not parsed["zero3"]
        assert parsed["dataset"] == ["vision_r1_llava_cot_full", "vision_r1_mulberry_sft_full"]
        return
    assert parsed["finetuning_type"] == "full" and parsed["zero3"] is True
    assert parsed["deepspeed"] == str((tmp_path / "copy").resolve() / "ds_z3_config.json")  # found from elsewhere
    assert parsed["learning_rate"] == 5e-6 and parsed["cutoff_len"] == 16384
    expected = (
        ["vision_r1_bridged"]
        if "bridged" in recipe.stem
        else ["vision_r1_llava_cot_full", "vision_r1_mulberry_sft_full"]
    )
    assert parsed["dataset"] == expected


@pytest.mark.slow
def test_dataset_dir_data_reads_the_repository_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """`dataset_dir: data` from the root: LLaMA-Factory's own loader finds data/dataset_info.json and its entries,
    files resolved in data/ (where Vision-R1-cold is put, as LLaMA-Factory's own datasets are)."""
    from llamafactory.data.parser import get_dataset_list

    monkeypatch.chdir(ROOT)
    recipe = yaml.safe_load((ROOT / "examples" / "llamafactory" / "vision_r1_cold_start_8gpu.yaml").read_text())
    attrs = get_dataset_list(recipe["dataset"].split(","), recipe["dataset_dir"])
    assert [(attr.load_from, attr.dataset_name, attr.formatting) for attr in attrs] == [
        ("file", "vision_r1_llava_cot_full.json", "sharegpt"),
        ("file", "vision_r1_mulberry_sft_full.json", "sharegpt"),
    ]
    assert attrs[0].images == "image" and attrs[1].images == "images" and attrs[0].user_tag == "human"
