"""``vision-r1 ptst run RECIPE --cpu --smoke`` on the bundled recipes, with the sample data: real verl steps.

The two-stage paper recipe (vision_r1_ptst_8gpu.yaml) is smoke-run by ``make demo`` (tests/test_demo.py), from
the SFT output; the Zero recipe (its own reward mode, ``sum``) runs here. The long recipe differs from the paper's
only in its one stage's shape, which --smoke shrinks to the same size: tests/ptst/test_dry_run.py composes and
checks it at full size, and a smoke run of it would add 70 s to ``make test`` for no other code path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from vision_r1_plugins.core.resources import recipe
from vision_r1_plugins.testing.processes import finish
from vision_r1_plugins.testing.processes import start_cli as vision_r1

pytest.importorskip("verl")

RECIPES = [recipe("verl", "vision_r1_zero_8gpu.yaml")]


@pytest.mark.slow
@pytest.mark.parametrize("recipe_file", RECIPES, ids=[path.stem for path in RECIPES])
def test_smoke_runs_the_recipe_for_two_steps_per_stage(recipe_file: Path, rl_parquet: Path, tmp_path: Path) -> None:
    copy = tmp_path / recipe_file.name
    shutil.copy(recipe_file, copy)
    data = f"data.train_files={rl_parquet}", f"data.val_files={rl_parquet}"
    code, output = finish(
        vision_r1("ptst", "run", str(copy), "--cpu", "--smoke", "--set", data[0], "--set", data[1], cwd=tmp_path)
    )
    assert code == 0, output[-6000:]
    assert "Not checked: GPU memory, vLLM" in " ".join(output.split())
    assert "GPU-only settings left out" in " ".join(output.split())  # the recipes' vLLM options
    code, listed = finish(vision_r1("ptst", "metrics", str(copy), "--json", "--smoke", cwd=tmp_path), 60)
    assert code == 0, listed
    rows = [json.loads(line) for line in listed.splitlines() if line.startswith("{")]
    stages = {row["stage"] for row in rows}
    assert len(rows) == 2 * len(stages) and all(1 < row["rollout_n"] <= 4 for row in rows)
    assert all(16 <= row["response_length_max"] <= 64 for row in rows)
    assert any(tmp_path.glob("checkpoints/*-smoke/global_step_*")), output[-3000:]
