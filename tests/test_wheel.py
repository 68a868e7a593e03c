"""The built wheel carries everything the product needs: examples/ and data/ (copied in at build time), so it runs
the reward part of the demo, lists the recipes and copies one with its DeepSpeed config, from a fresh virtual
environment outside the repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from vision_r1_plugins.testing.wheel import install_wheel

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_demo_runs_from_an_installed_wheel(tmp_path: Path) -> None:
    installed = install_wheel(ROOT, tmp_path)
    python, site, env, cli = installed.python, str(installed.site), installed.env, installed.cli
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import vision_r1_plugins; print(vision_r1_plugins.__file__)"],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert where.startswith(site), where
    shipped = Path(site) / "vision_r1_plugins" / "_data"
    for folder in ("llamafactory", "deepspeed", "verl"):  # every recipe file, byte for byte
        files = [path for path in (ROOT / "examples" / folder).rglob("*") if path.is_file()]
        assert files and all(
            (shipped / "examples" / path.relative_to(ROOT / "examples")).read_bytes() == path.read_bytes()
            for path in files
        )
    assert len(list((shipped / "data" / "samples" / "problems" / "images").glob("*.png"))) == 36
    assert (shipped / "data" / "dataset_info.json").is_file() and (
        shipped / "data" / "samples" / "responses.jsonl"
    ).is_file()
    demo = subprocess.run(
        [str(cli), "demo", "--out", str(work / "demo"), "--step", "reward"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    scores = [json.loads(line) for line in (work / "demo" / "reward_scores.jsonl").read_text().splitlines()]
    assert len(scores) == 12 and {record["id"]: record["score"] for record in scores}["geo-02"] == 1.0
    recipes = subprocess.run([str(cli), "recipes", "list"], cwd=work, env=env, capture_output=True, text=True)
    listed = {line.split()[0] for line in recipes.stdout.splitlines()}
    assert recipes.returncode == 0 and len(listed & {"vision_r1_ptst_8gpu", "vision_r1_lora_1gpu"}) == 2, recipes.stdout
    copy = subprocess.run(
        [str(cli), "recipes", "copy", "vision_r1_cold_start_8gpu", "sft"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert copy.returncode == 0, copy.stdout + copy.stderr
    copied = work / "sft"
    assert sorted(str(path.relative_to(copied)) for path in copied.rglob("*") if path.is_file()) == [
        "data/dataset_info.json",
        "ds_z3_config.json",
        "train_8gpu.sh",
        "vision_r1_cold_start_8gpu.yaml",
    ]
    recipe_text = (copied / "vision_r1_cold_start_8gpu.yaml").read_text()
    assert f'deepspeed: "{copied.resolve() / "ds_z3_config.json"}"' in recipe_text
    assert json.loads((copied / "ds_z3_config.json").read_text())["zero_optimization"]["stage"] == 3
    problems = subprocess.run(
        [
            str(python),
            "-c",
            "from vision_r1_plugins.core.resources import sample_problems as p; "
            "import json; rows = [json.loads(l) for l in p().read_text().splitlines()]; "
            "print(len(rows), all((p().parent / r['images'][0]).is_file() for r in rows))",
        ],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert problems == ["36", "True"]
