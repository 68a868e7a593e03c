"""``vision-r1 recipes list`` and ``vision-r1 recipes copy NAME DIR``: a copied recipe works from where it lands.

LLaMA-Factory's own parser on a copied recipe, run from another folder, is in tests/llamafactory/test_recipes.py.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.core import recipes, resources

runner = CliRunner()
ROOT = resources.shipped_root()  # the repository root: examples/ and data/
RECIPES = recipes.list_recipes()
WITH_SCRIPT = [recipe for recipe in RECIPES if recipe.script]


def _copy(*args: str) -> object:
    return runner.invoke(app, ["recipes", "copy", *args])


def _fake_cli(tmp_path: Path) -> dict[str, str]:
    """A `vision-r1` on PATH that prints the folder it runs in and its arguments, one per line."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "vision-r1"
    fake.write_text('#!/usr/bin/env bash\necho "cwd=$PWD"\nprintf \'arg=%s\\n\' "$@"\n')
    fake.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "NODE_RANK": "0",
        "MASTER_ADDR": "127.0.0.1",
    }


def _run_script(script: Path, cwd: Path, env: dict[str, str]) -> tuple[Path, list[str]]:
    done = subprocess.run(
        ["bash", str(script), "dataset_dir=/data/x"], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    return Path(lines[0].removeprefix("cwd=")), [line.removeprefix("arg=") for line in lines[1:]]


def test_list_names_every_bundled_recipe_with_its_framework() -> None:
    result = runner.invoke(app, ["recipes", "list"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1] for line in result.output.splitlines()[:-1]}
    files = {path.stem: "llamafactory" for path in (ROOT / "examples" / "llamafactory").glob("*.yaml")}
    files |= {path.stem: "verl" for path in (ROOT / "examples" / "verl" / "schedules").glob("*.yaml")}
    assert rows == files and len(rows) == 7
    assert "the paper's settings (full FT, ZeRO-3), 1 node x 8 GPUs" in result.output
    assert "Vision-R1-Long baseline: one 16K x 4 stage, no PTST, 8 GPUs" in result.output


def test_a_new_file_is_a_new_recipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The files are the list: a YAML with a description line and a launch script key is a recipe."""
    for folder in ("examples/llamafactory", "examples/verl/schedules", "data"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "examples" / "llamafactory" / "mine.yaml").write_text(
        "# my SFT trial\n# launch script: examples/llamafactory/go.sh\nstage: sft\n"
    )
    (tmp_path / "examples" / "verl" / "schedules" / "plain.yaml").write_text("# a schedule without a script\n")
    monkeypatch.setattr(recipes, "shipped_root", lambda: tmp_path)
    assert recipes.list_recipes() == (
        recipes.Recipe("mine", "llamafactory", "my SFT trial", "examples/llamafactory/go.sh"),
        recipes.Recipe("plain", "verl", "a schedule without a script"),
    )
    assert recipes.get_recipe("verl/plain.yaml").name == "plain"  # the old file spelling names the recipe


def test_the_recipes_reach_every_file_they_name() -> None:
    needed = {path for recipe in RECIPES for path in recipes.recipe_files(recipe)}
    assert all((ROOT / path).is_file() for path in needed)
    # Every launch script belongs to a recipe; the Hydra configs are copied by `all` but are not recipes.
    scripts = {str(path.relative_to(ROOT)) for path in (ROOT / "examples").glob("*/*.sh")}
    assert scripts <= needed and "examples/deepspeed/ds_z3_config.json" in needed
    for recipe in RECIPES:  # the text rules find what YAML finds
        text = (ROOT / recipe.source).read_text()
        assert recipes.deepspeed_value(text) == yaml.safe_load(text).get("deepspeed")
        assert recipes.dataset_dir_value(text) == yaml.safe_load(text).get("dataset_dir")


def test_copy_points_deepspeed_at_the_copied_config(tmp_path: Path) -> None:
    result = _copy("vision_r1_cold_start_8gpu", str(tmp_path / "sft"))
    assert result.exit_code == 0, result.output
    out = tmp_path / "sft"
    assert sorted(str(path.relative_to(out)) for path in out.rglob("*") if path.is_file()) == [
        "data/dataset_info.json",  # for its `dataset_dir: data`, as in the repository
        "ds_z3_config.json",
        "train_8gpu.sh",
        "vision_r1_cold_start_8gpu.yaml",
    ]
    config = yaml.safe_load((out / "vision_r1_cold_start_8gpu.yaml").read_text())
    assert config["deepspeed"] == str(out / "ds_z3_config.json")
    assert json.loads(Path(config["deepspeed"]).read_text())["zero_optimization"]["stage"] == 3
    original = yaml.safe_load((ROOT / "examples" / "llamafactory" / "vision_r1_cold_start_8gpu.yaml").read_text())
    assert {key: value for key, value in config.items() if key != "deepspeed"} == {
        key: value for key, value in original.items() if key != "deepspeed"
    }
    assert os.stat(out / "train_8gpu.sh").st_mode & stat.S_IXUSR
    assert f"llamafactory-cli train {out / 'vision_r1_cold_start_8gpu.yaml'}" in result.output
    lora = _copy("vision_r1_lora_1gpu", str(tmp_path / "lora"))
    assert lora.exit_code == 0 and sorted(path.name for path in (tmp_path / "lora").iterdir()) == [
        "data",
        "vision_r1_lora_1gpu.yaml",
    ]


@pytest.mark.parametrize("recipe", WITH_SCRIPT, ids=[recipe.name for recipe in WITH_SCRIPT])
def test_copied_launch_script_runs_the_copied_recipe_from_anywhere(recipe: recipes.Recipe, tmp_path: Path) -> None:
    out = tmp_path / "copy"
    assert _copy(recipe.name, str(out)).exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cwd, args = _run_script(out / recipe.script, elsewhere, _fake_cli(tmp_path))
    assert cwd == out  # where output_dir / checkpoint_dir land
    config = next(arg for arg in args if arg.endswith(".yaml"))
    assert (cwd / config).resolve() == (out / f"{recipe.name}.yaml").resolve()  # the copied YAML, not another
    assert args[-1] == "dataset_dir=/data/x"


def test_copy_all_keeps_the_repository_layout_and_its_scripts_work(tmp_path: Path) -> None:
    out = tmp_path / "recipes"
    result = _copy("all", str(out))
    shipped = [
        str(path.relative_to(ROOT))
        for folder in ("llamafactory", "deepspeed", "verl")
        for path in (ROOT / "examples" / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]
    assert result.exit_code == 0 and f"{len(shipped) + 1} files copied" in result.output
    assert sorted(str(path.relative_to(out)) for path in out.rglob("*") if path.is_file()) == sorted(
        [*shipped, "data/dataset_info.json"]
    )
    examples = out / "examples"
    deepspeed = yaml.safe_load((examples / "llamafactory" / "vision_r1_bridged_8gpu.yaml").read_text())["deepspeed"]
    assert deepspeed == str(examples / "deepspeed" / "ds_z3_config.json")
    cwd, args = _run_script(examples / "llamafactory" / "train_8gpu.sh", tmp_path, _fake_cli(tmp_path))
    assert cwd == out and (cwd / args[1]).resolve() == examples / "llamafactory" / "vision_r1_cold_start_8gpu.yaml"
    cwd, args = _run_script(examples / "verl" / "run_ptst.sh", tmp_path, _fake_cli(tmp_path))
    assert cwd == out and (cwd / args[2]).resolve() == examples / "verl" / "schedules" / "vision_r1_ptst_8gpu.yaml"
    assert f"run one: vision-r1 ptst run {examples / 'verl' / 'schedules'}/NAME.yaml" in result.output
    legacy = _copy(str(tmp_path / "legacy"))  # `recipes copy DIR`, the older spelling
    assert legacy.exit_code == 0
    assert (tmp_path / "legacy" / "examples" / "verl" / "schedules" / "vision_r1_ptst_8gpu.yaml").is_file()


def test_scripts_run_in_the_repository_root_as_written(tmp_path: Path) -> None:
    """`bash examples/llamafactory/train_8gpu.sh` from anywhere starts the recipe from the repository root."""
    cwd, args = _run_script(ROOT / "examples" / "llamafactory" / "train_8gpu.sh", tmp_path, _fake_cli(tmp_path))
    assert cwd == ROOT and args[:2] == ["sft", "examples/llamafactory/vision_r1_cold_start_8gpu.yaml"]
    for recipe in WITH_SCRIPT:
        cwd, args = _run_script(ROOT / recipe.script_source, tmp_path, _fake_cli(tmp_path))
        assert cwd == ROOT and (ROOT / next(arg for arg in args if arg.endswith(".yaml"))).is_file()


def test_existing_files_are_refused_without_force(tmp_path: Path) -> None:
    out = tmp_path / "sft"
    assert _copy("vision_r1_bridged_8gpu", str(out)).exit_code == 0
    again = _copy("vision_r1_bridged_8gpu", str(out))  # the same contents: nothing to overwrite
    assert again.exit_code == 0 and "0 files copied" in again.output and "3 already there" in again.output
    edited = out / "vision_r1_bridged_8gpu.yaml"
    edited.write_text("dataset_dir: /mine\n")
    refused = _copy("vision_r1_bridged_8gpu", str(out))
    assert refused.exit_code == 2 and len(refused.output.strip().splitlines()) == 1
    assert "already has vision_r1_bridged_8gpu.yaml; pass --force to overwrite" in refused.output
    assert edited.read_text() == "dataset_dir: /mine\n"
    # Another recipe's script under the same name is a clash too; nothing is written when one file clashes.
    other = _copy("vision_r1_cold_start_8gpu", str(out))
    assert other.exit_code == 2 and "train_8gpu.sh" in other.output
    assert not (out / "vision_r1_cold_start_8gpu.yaml").exists()
    forced = _copy("vision_r1_bridged_8gpu", str(out), "--force")
    assert forced.exit_code == 0 and yaml.safe_load(edited.read_text())["dataset"] == "vision_r1_bridged"


def test_unknown_name_and_missing_folder_are_usage_errors(tmp_path: Path) -> None:
    unknown = _copy("vision_r1_cold_start", str(tmp_path))
    assert unknown.exit_code == 2 and len(unknown.output.strip().splitlines()) == 1
    assert "unknown recipe 'vision_r1_cold_start'; choose from vision_r1_bridged_8gpu," in unknown.output
    assert all(recipe.name in unknown.output for recipe in RECIPES) and "or all" in unknown.output
    no_folder = _copy("vision_r1_lora_1gpu")
    assert no_folder.exit_code == 2 and "vision-r1 recipes copy vision_r1_lora_1gpu DIR" in no_folder.output
    assert list(tmp_path.iterdir()) == []
