"""examples/README.md: every file in examples/ is described, every command runs as written (from the repository
root; on CPU), and every command marked ``# GPU`` starts a file that a parser test covers: LLaMA-Factory's
argument parser (tests/llamafactory/test_recipes.py), verl's Hydra composition (test_verl_configs.py) or the
launch-script test (tests/cli/test_recipes_cli.py)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from vision_r1_plugins.core.recipes import list_recipes

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
README = EXAMPLES / "README.md"
GPU = "# GPU"
ENTRY = {
    "vision_r1_ptst_8gpu": "vision_r1_plugins.ptst.main",
    "vision_r1_zero_8gpu": "verl.trainer.main_ppo",
    "vision_r1_long_8gpu": "verl.trainer.main_ppo",
}


def commands() -> list[str]:
    """Each command of the README's bash blocks, continuation lines joined."""
    found = []
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(), re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                found.append(line.strip())
    return found


CPU_COMMANDS = [command for command in commands() if not command.endswith(GPU)]
GPU_COMMANDS = [command.removesuffix(GPU).strip() for command in commands() if command.endswith(GPU)]


def test_every_example_file_is_described() -> None:
    text = README.read_text()
    for folder in ("llamafactory", "deepspeed", "verl"):
        for path in sorted((EXAMPLES / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                assert f"`{path.relative_to(EXAMPLES / folder)}`" in text, f"examples/README.md misses {path}"
    python = EXAMPLES / "python"
    if python.is_dir():
        assert "python/README.md" in text
        listing = (python / "README.md").read_text()
        assert all(script.name in listing for script in python.glob("*.py"))


def test_every_gpu_command_starts_a_parsed_file() -> None:
    recipes = {recipe.name: recipe for recipe in list_recipes()}
    scripts = {recipe.script_source for recipe in recipes.values() if recipe.script_source}
    assert GPU_COMMANDS and CPU_COMMANDS
    for command in GPU_COMMANDS:
        words = shlex.split(command)
        while "=" in words[0]:  # leading VAR=value
            words.pop(0)
        if words[0] == "llamafactory-cli":
            assert words[1] == "train" and Path(words[2]).stem in recipes, command
            assert words[2].startswith("examples/llamafactory/") or words[2].startswith("outputs/"), command
            assert all("=" in word for word in words[3:]), command
        elif words[0] == "bash":
            assert words[1] in scripts, command
        else:
            assert words[:2] == ["python", "-m"], command
            name = words[words.index("--config-name") + 1]
            assert words[words.index("--config-path") + 1] == "$PWD/examples/verl/config", command
            assert ENTRY[name] == words[2], command


@pytest.fixture
def repo_like(tmp_path: Path) -> Path:
    """A folder that looks like the repository root (examples/, data/), so commands that write stay out of it."""
    for name in ("examples", "data"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


@pytest.mark.slow  # the verl commands import verl
@pytest.mark.parametrize("command", CPU_COMMANDS)
def test_command_runs_as_written(command: str, repo_like: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", command], cwd=repo_like, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert done.stdout.strip(), command
