"""Every command in README.md's code blocks is proven: run here exactly as written (CPU, seconds), parsed by the
``vision-r1`` app's own parser (GPU commands, or ones that need servers or released data), or run or parsed by a
named test. A command added to README without a line in ``PROOFS`` fails ``test_every_command_is_classified``."""

from __future__ import annotations

import doctest
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.core
import typer.main

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Proof:
    """How one README command is proven.

    ``run``: ``test_cpu_commands_run_as_written`` runs it in a folder holding the repository's data/ and examples/;
    ``parse``: ``test_gpu_commands_parse`` parses it with the ``vision-r1`` app (it needs GPUs, servers or data);
    ``test``: the test ``test`` (``path::function``) runs or parses it; ``mentions`` is what that test's file must
    still name (the parser it calls, the override it composes), so that the two cannot drift apart;
    ``ci``: the command is the CI itself.
    """

    kind: str
    test: str = ""
    mentions: str = ""


PROOFS: dict[str, Proof] = {
    # Install: the wheel test builds the wheel, installs it into a fresh environment and runs from it.
    "pip install vision-r1-plugins": Proof("test", "tests/test_wheel.py::test_demo_runs_from_an_installed_wheel"),
    "pip install vision-r1-plugins[bridge]": Proof(
        "test", "tests/test_wheel.py::test_demo_runs_from_an_installed_wheel"
    ),
    "pip install vision-r1-plugins[llamafactory]": Proof(
        "test", "tests/test_wheel.py::test_demo_runs_from_an_installed_wheel"
    ),
    "pip install vision-r1-plugins[verl]": Proof("test", "tests/test_wheel.py::test_demo_runs_from_an_installed_wheel"),
    # `make demo` is `vision-r1 demo` after setup (Makefile); its test runs the demo and checks what it learnt.
    "make demo": Proof("test", "tests/test_demo.py::test_demo_teaches_and_a_second_run_reuses_it"),
    "make test": Proof("ci"),
    "vision-r1 reward score data/samples/responses.jsonl -o scores.jsonl": Proof("run"),
    "vision-r1 recipes list": Proof("run"),
    "vision-r1 ptst plan examples/verl/schedules/vision_r1_ptst_8gpu.yaml": Proof("run"),
    "vision-r1 data overlap --train data/samples/problems/problems.jsonl --benchmark "
    "vision_r1=data/samples/problems/problems.jsonl --out overlap": Proof("run"),
    "vision-r1 bridge data/samples/problems/problems.jsonl --out bridged --base-url http://gpu-a:8000/v1 --model "
    "Qwen/Qwen2.5-VL-72B-Instruct --reasoner-base-url http://gpu-b:8001/v1 --reasoner-model "
    "deepseek-ai/DeepSeek-R1": Proof("parse"),
    "vision-r1 lf validate --dataset-dir data --dataset vision_r1_llava_cot_full --model "
    "Qwen/Qwen2.5-VL-7B-Instruct --cutoff-len 16384 --fix clean": Proof("parse"),
    # LLaMA-Factory's own argument parser (get_train_args) on every recipe.
    "llamafactory-cli train examples/llamafactory/vision_r1_cold_start_8gpu.yaml": Proof(
        "test",
        "tests/llamafactory/test_recipes.py::test_recipe_parses_with_the_paper_settings",
        "get_train_args",
    ),
    "vision-r1 rl-data Vision-R1-rl.parquet -o rl/vision_r1_rl --model saves/vision_r1_ci_qwen2_5_vl_7b": Proof(
        "parse"
    ),
    "vision-r1 ptst run examples/verl/schedules/vision_r1_ptst_8gpu.yaml --dry-run": Proof("parse"),
    # verl's Hydra compose of the PTST config through the project's entry point, the command run as written.
    "python -m vision_r1_plugins.ptst.main --config-path $PWD/examples/verl/config --config-name vision_r1_ptst_8gpu": (
        Proof(
            "test",
            "tests/examples/test_verl_configs.py::test_the_documented_command_composes_through_its_entry_point",
            "vision_r1_plugins.ptst.main",
        )
    ),
    "vision-r1 eval testmini.parquet --benchmark mathvista_testmini --out runs/vision_r1 --backend openai "
    "--base-url http://localhost:8000/v1 --model Vision-R1-7B": Proof("parse"),
    # verl's reward loop composed from verl's own Hydra files with these overrides.
    "python -m verl.trainer.main_ppo ... reward.custom_reward_function.path=pkg://vision_r1_plugins.reward "
    "reward.custom_reward_function.name=compute_score +reward.custom_reward_function.reward_kwargs.mode=hard": Proof(
        "test",
        "tests/verl/test_reward_loop.py::test_reward_kwargs_reach_the_function",
        "reward.custom_reward_function.path=pkg://vision_r1_plugins.reward",
    ),
}


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def commands(text: str) -> list[str]:
    """The shell commands of the ```bash blocks as argv joined by spaces: continuation lines joined, quotes,
    comments and blank lines left out."""
    found: list[str] = []
    for block in code_blocks(text, "bash"):
        for line in block.replace("\\\n", " ").splitlines():
            # The words the shell hands the program: quotes gone, so the key is the command's argv.
            words = shlex.split(line, comments=True)
            if words:
                found.append(" ".join(words))
    return found


README_COMMANDS = commands(README.read_text(encoding="utf-8"))


def of_kind(kind: str) -> list[str]:
    return [c for c in README_COMMANDS if PROOFS.get(c, Proof("")).kind == kind]


def test_every_command_is_classified() -> None:
    unclassified = [c for c in README_COMMANDS if c not in PROOFS]
    stale = [c for c in PROOFS if c not in README_COMMANDS]
    assert not unclassified, f"README commands with no proof in PROOFS: {unclassified}"
    assert not stale, f"PROOFS lists commands README no longer has: {stale}"
    assert {p.kind for p in PROOFS.values()} <= {"run", "parse", "test", "ci"}


def test_the_command_reader_joins_continuations_and_drops_comments() -> None:
    text = '```bash\nvision-r1 eval a.jsonl \\\n  --out o   # why\n# a comment\n\npip install "x[y]"\n```\n'
    assert commands(text) == ["vision-r1 eval a.jsonl --out o", "pip install x[y]"]


@pytest.fixture(scope="module")
def repo_like(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where README's relative paths resolve as in the repository root, and outputs stay out of it."""
    folder = tmp_path_factory.mktemp("readme")
    for name in ("data", "examples"):
        (folder / name).symlink_to(ROOT / name)
    return folder


@pytest.mark.parametrize("command", of_kind("run"))
def test_cpu_commands_run_as_written(command: str, repo_like: Path) -> None:
    # The argv the shell would build from README's line, with this environment's vision-r1 first on PATH.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    argv = command.split(" ")
    argv[0] = shutil.which(argv[0], path=env["PATH"]) or argv[0]
    done = subprocess.run(argv, cwd=repo_like, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    if command.startswith("vision-r1 reward score"):
        # One score line per sample response, as the command promises.
        samples = (ROOT / "data" / "samples" / "responses.jsonl").read_text(encoding="utf-8").splitlines()
        written = (repo_like / "scores.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(written) == len([s for s in samples if s.strip()]) > 0
    elif command.startswith("vision-r1 ptst plan"):
        assert "vision_r1_plugins.ptst.main" in done.stdout
    elif command == "vision-r1 recipes list":
        assert "vision_r1_cold_start_8gpu" in done.stdout and "vision_r1_ptst_8gpu" in done.stdout
    elif command.startswith("vision-r1 data overlap"):
        # The samples against themselves: every row is found in itself; another row only when it is the same
        # problem (the same figure, byte for byte, with an equivalent answer: the overlap rules' image match).
        (summary,) = json.loads((repo_like / "overlap" / "overlap.json").read_text(encoding="utf-8"))["benchmarks"]
        pairs = [json.loads(line) for line in (repo_like / "overlap" / "pairs.jsonl").read_text().splitlines()]
        assert summary["found"] == summary["rows_read"] == 36
        assert {pair["train_id"] for pair in pairs if pair["benchmark_row"] == pair["train_id"]} == {
            pair["benchmark_row"] for pair in pairs
        }
        rows = [json.loads(line) for line in (ROOT / "data/samples/problems/problems.jsonl").read_text().splitlines()]
        figure = {row["id"]: (ROOT / "data/samples/problems" / row["images"][0]).read_bytes() for row in rows}
        for pair in pairs:
            if pair["benchmark_row"] != pair["train_id"]:
                assert pair["kind"] == "image" and figure[pair["benchmark_row"]] == figure[pair["train_id"]], pair


def parse_with_the_app(argv: list[str]) -> typer.core.TyperCommand:
    """Parse ``vision-r1 ARGS`` down to its command, as the console script would, without running it."""
    from vision_r1_plugins.cli.app import app

    command = typer.main.get_command(app)
    name, args, parent = "vision-r1", argv, None
    while True:
        context = command.make_context(name, list(args), parent=parent)
        if not isinstance(command, typer.core.TyperGroup):
            return command
        name, command, args = command.resolve_command(context, [*context._protected_args, *context.args])
        parent = context


@pytest.mark.parametrize("command", of_kind("parse"))
def test_gpu_commands_parse(command: str) -> None:
    argv = shlex.split(command)
    assert argv[0] == "vision-r1"
    parse_with_the_app(argv[1:])  # raises on an unknown option, a missing argument or a value of the wrong type
    for word in argv:
        if word.startswith(("data/", "examples/")):
            assert (ROOT / word).exists(), f"{command}: {word} does not exist"


def test_the_parser_check_catches_a_wrong_option() -> None:
    with pytest.raises(Exception, match="--bogus"):
        parse_with_the_app(["bridge", "data/samples/problems/problems.jsonl", "--out", "o", "--bogus", "1"])


@pytest.mark.parametrize("command", of_kind("test"))
def test_commands_proven_by_other_tests_name_real_tests(command: str) -> None:
    proof = PROOFS[command]
    path, function = proof.test.split("::")
    source = (ROOT / path).read_text(encoding="utf-8")
    assert re.search(rf"^def {function}\(", source, flags=re.MULTILINE), f"{proof.test} does not exist"
    if proof.mentions:
        assert proof.mentions in source, f"{path} no longer mentions {proof.mentions!r}"
    for word in command.split():
        word = word.removeprefix("$PWD/")
        if word.startswith(("data/", "examples/")):
            assert (ROOT / word).exists(), f"{command}: {word} does not exist"


def test_python_examples_run() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = code_blocks(text, "pycon")
    assert blocks
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for number, block in enumerate(blocks):
        runner.run(parser.get_doctest(block, {}, f"README.md pycon block {number}", str(README), 0))
    results = runner.summarize(verbose=False)
    assert results.attempted > 0 and results.failed == 0


def test_links_and_files_named_exist() -> None:
    text = README.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" not in target:
            assert (ROOT / target).exists(), f"README links to {target}, which does not exist"
    for path in re.findall(r"`((?:data|examples)/[^`\s]+)`", text):
        assert (ROOT / path).exists(), f"README names {path}, which does not exist"


def test_readme_is_one_screen_of_overview() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200
    assert sum(1 for line in lines if line.startswith("#")) <= 12
