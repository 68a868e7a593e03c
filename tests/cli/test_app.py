"""The command line as a whole: version, help on every option, one name per concept, one error formatter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.cli._errors import describe
from vision_r1_plugins.core.errors import RunError, UsageError

runner = CliRunner()


def _commands(group: object, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    found = []
    for name, command in getattr(group, "commands", {}).items():
        if getattr(command, "commands", None):
            found += _commands(command, (*prefix, name))
        else:
            found.append(((*prefix, name), command))
    return found


COMMANDS = _commands(typer.main.get_command(app))


def test_version() -> None:
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"vision-r1-plugins {version('vision-r1-plugins')}"


def test_every_command_and_visible_option_has_help_text() -> None:
    assert len(COMMANDS) >= 16
    for path, command in COMMANDS:
        assert command.help, f"vision-r1 {' '.join(path)} has no help text"
        for parameter in command.params:
            if getattr(parameter, "hidden", False) or parameter.name == "help":
                continue
            assert getattr(parameter, "help", None), f"vision-r1 {' '.join(path)}: {parameter.name} has no help text"


def test_one_name_per_concept() -> None:
    """An output folder or file is --out, a server --base-url, a model --model, wherever they appear."""
    visible = {
        " ".join(path): {
            opt for parameter in command.params if not getattr(parameter, "hidden", False) for opt in parameter.opts
        }
        for path, command in COMMANDS
    }
    for options in visible.values():
        assert not options & {"--output", "--workdir", "--mllm-url", "--mllm-model", "--url"}
    for command in ("bridge", "eval run", "eval score", "analyze", "reward score", "rl-data", "demo"):
        assert "--out" in visible[command], command
    for command in ("bridge", "eval run", "infer"):
        assert {"--base-url", "--model"} <= visible[command], command


@pytest.mark.parametrize(
    ("args", "new"),
    [(["reward", "score", "IN", "--output", "OUT"], "--out"), (["demo", "--workdir", "W", "--step", "nope"], "--out")],
)
def test_old_spellings_still_work_with_a_note(tmp_path: Path, args: list[str], new: str) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"response": "<think>a</think><answer>3</answer>", "ground_truth": "3"}) + "\n")
    args = [str(source) if arg == "IN" else str(tmp_path / "out.jsonl") if arg == "OUT" else arg for arg in args]
    result = runner.invoke(app, args)
    assert f"is deprecated and will be removed in the next release; use {new}" in " ".join(result.output.split())
    if args[0] == "reward":
        assert result.exit_code == 0 and (tmp_path / "out.jsonl").is_file()
    else:  # the alias was taken; the unknown step is then a usage error
        assert result.exit_code == 2 and "unknown demo steps ['nope']" in result.output


def test_old_and_new_spelling_together_is_a_usage_error(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("{}\n")
    result = runner.invoke(app, ["reward", "score", str(source), "--out", "a", "--output", "b"])
    assert result.exit_code == 2 and "give only --out" in result.output


def test_errors_map_to_exit_codes_and_messages() -> None:
    assert describe(UsageError("bad input")) == ("bad input", 2)
    assert describe(RunError("stage failed")) == ("stage failed", 1)
    assert describe(ValueError("timeout must be > 0")) == ("timeout must be > 0", 2)
    assert describe(FileNotFoundError(2, "No such file", "x.jsonl")) == ("[Errno 2] No such file: 'x.jsonl'", 1)
    assert describe(KeyboardInterrupt()) == ("interrupted", 130)
    message, code = describe(KeyError("oops"))
    assert code == 1 and message == "internal error: KeyError: 'oops' (rerun with --debug for the traceback)"


def test_a_usage_error_is_one_line_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "vision_r1_plugins.cli",
        "eval",
        str(tmp_path / "missing.jsonl"),
        "--out",
        str(tmp_path / "run"),
        "--model",
        "m",
        "--base-url",
        "http://127.0.0.1:9/v1",
    ]
    plain = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert plain.returncode == 2
    assert plain.stderr.strip() == f"error: input not found: {tmp_path / 'missing.jsonl'}"
    debug = subprocess.run([*command[:3], "--debug", *command[3:]], capture_output=True, text=True, timeout=120)
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr
    assert "InputError: input not found" in debug.stderr
