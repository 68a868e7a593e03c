"""Bad inputs to rl-data, reward score, lf validate and sft: each fails loudly and clearly.

A usage mistake exits 2 before any work with one or two lines naming the fix; a run that kept nothing exits 1
with the first rejects' reasons; a partial run exits 0 and its summary's first line counts the rejects and says
where they are; ``--strict`` turns any reject into exit 1. Never a traceback (that needs ``--debug``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.core.resources import sample_problems, sample_responses

runner = CliRunner()


def _run(*args: object) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def _flat(text: str) -> str:
    return " ".join(text.split())


def _fails(result: Result, code: int, *fixes: str) -> str:
    """The run exited ``code`` with at most 5 lines on stderr, no traceback, and each of ``fixes`` in the message."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 5, result.stderr
    message = _flat(result.stderr)
    for fix in fixes:
        assert fix in message, message
    return message


def _first_line(result: Result) -> str:
    return next(line for line in result.stdout.splitlines() if line.strip())


def _problems(tmp_path: Path, good: int, bad: int) -> Path:
    """``good`` sample problems (image paths made absolute) and ``bad`` copies with an empty answer."""
    rows = [json.loads(line) for line in sample_problems().read_text().splitlines()][:good]
    for row in rows:
        row["images"] = [str(sample_problems().parent / image) for image in row["images"]]
    rows += [{**rows[0], "id": f"bad-{index}", "answer": ""} for index in range(bad)]
    path = tmp_path / "problems.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _responses(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "responses.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    return path


GOOD = json.dumps({"response": "<think>2 + 2 = 4</think><answer>4</answer>", "ground_truth": "4"})


# ---------------------------------------------------------------------------------------------------------
# rl-data


def test_rl_data_model_path_that_does_not_exist(tmp_path: Path) -> None:
    result = _run("rl-data", sample_problems(), "--model", "/no/model", "--out", tmp_path / "rl")
    _fails(result, 2, "model path /no/model does not exist", "hub name")
    assert not list(tmp_path.iterdir())  # checked before any output was written


def test_rl_data_wrong_question_column_names_the_columns_and_the_option(tmp_path: Path) -> None:
    # Any existing folder passes the model check: the column check comes before the processor loads.
    result = _run(
        "rl-data", sample_problems(), "--model", tmp_path, "--out", tmp_path / "rl", "--question-column", "question"
    )
    message = _fails(result, 2, "'question'", "--question-column", "problem")
    assert "answer" in message  # the columns the file does have
    assert not (tmp_path / "rl.rejects.jsonl").exists()


def test_rl_data_empty_input(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    _fails(_run("rl-data", tmp_path / "empty.jsonl", "--model", tmp_path, "--out", tmp_path / "rl"), 2, "no rows")


def test_rl_data_all_rejected_exits_1_with_the_reason_and_the_fix(tmp_path: Path, tiny_model_dir: Path) -> None:
    result = _run(
        "rl-data",
        _problems(tmp_path, 3, 0),
        "--model",
        tiny_model_dir,
        "--out",
        tmp_path / "rl",
        "--max-prompt-length",
        8,
    )
    _fails(result, 1, "no row of", "3 of 3 rejected", "prompt_too_long", "--max-prompt-length", "rl.rejects.jsonl")


def test_rl_data_partial_exits_0_and_says_where_the_rejects_are(tmp_path: Path, tiny_model_dir: Path) -> None:
    result = _run("rl-data", _problems(tmp_path, 3, 2), "--model", tiny_model_dir, "--out", tmp_path / "rl")
    assert result.exit_code == 0, result.output
    assert _first_line(result) == f"2 of 5 rows rejected: see {tmp_path / 'rl.rejects.jsonl'}"
    kept, rejected = map(int, re.search(r"5 rows: (\d+) kept, (\d+) rejected", result.stdout).groups())
    assert (kept, rejected) == (3, 2) and kept + rejected == 5
    assert len((tmp_path / "rl.rejects.jsonl").read_text().splitlines()) == 2


def test_rl_data_strict_fails_on_any_reject(tmp_path: Path, tiny_model_dir: Path) -> None:
    result = _run("rl-data", _problems(tmp_path, 3, 1), "--model", tiny_model_dir, "--out", tmp_path / "rl", "--strict")
    _fails(result, 1, "--strict: 1 of 4 rows rejected", "missing_answer", "rl.rejects.jsonl")


# ---------------------------------------------------------------------------------------------------------
# reward score


def _renamed(tmp_path: Path) -> Path:
    rows = [json.loads(line) for line in sample_responses().read_text().splitlines()]
    lines = [json.dumps({"id": r["id"], "output": r["response"], "gold": r["ground_truth"]}) for r in rows]
    return _responses(tmp_path, lines)


def test_reward_other_column_names_fail_at_the_first_row(tmp_path: Path) -> None:
    result = _run("reward", "score", _renamed(tmp_path), "--out", tmp_path / "scores.jsonl")
    _fails(result, 2, "no response column 'response'", "gold, id, output", "--response-column")
    assert not (tmp_path / "scores.jsonl").exists()


def test_reward_column_options_map_another_layout(tmp_path: Path) -> None:
    result = _run(
        "reward",
        "score",
        _renamed(tmp_path),
        "--out",
        tmp_path / "scores.jsonl",
        "--response-column",
        "output",
        "--ground-truth-column",
        "gold",
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "scores.jsonl").read_text().splitlines()]
    assert len(records) == 12 and not any(record["reason"].startswith("invalid") for record in records)
    assert records[0]["id"] == "geo-01" and sum(record["score"] for record in records) > 0


def test_reward_empty_input(tmp_path: Path) -> None:
    _fails(_run("reward", "score", _responses(tmp_path, []), "--out", tmp_path / "s.jsonl"), 2, "is empty")


def test_reward_all_rows_invalid_exits_1_with_the_reasons(tmp_path: Path) -> None:
    source = _responses(tmp_path, ["not json", "[1, 2]", json.dumps({"response": 4, "ground_truth": "4"})])
    result = _run("reward", "score", source, "--out", tmp_path / "s.jsonl")
    _fails(result, 1, "no row of", "3 invalid", "line 1: invalid_json", "line 2: invalid_row", "--response-column")


def test_reward_partial_exits_0_and_counts_add_up(tmp_path: Path) -> None:
    source = _responses(tmp_path, [GOOD, "not json", GOOD, json.dumps({"response": 3, "ground_truth": "1"}), GOOD])
    result = _run("reward", "score", source, "--out", tmp_path / "s.jsonl")
    assert result.exit_code == 0, result.output
    assert _first_line(result) == f"2 of 5 rows could not be scored: see their reasons in {tmp_path / 's.jsonl'}"
    valid, invalid = map(int, re.search(r"over (\d+) valid rows; (\d+) invalid rows", _flat(result.stdout)).groups())
    assert (valid, invalid) == (3, 2) and "5 rows scored" in result.stdout


def test_reward_strict_fails_on_any_invalid_row(tmp_path: Path) -> None:
    source = _responses(tmp_path, [GOOD, "not json"])
    result = _run("reward", "score", source, "--out", tmp_path / "s.jsonl", "--strict")
    _fails(result, 1, "--strict: 1 of 2 rows could not be scored", "line 2: invalid_json", "s.jsonl")


# ---------------------------------------------------------------------------------------------------------
# lf validate


@pytest.fixture
def sharegpt(tmp_path: Path) -> Path:
    """A registered dataset ``toy``: 3 good rows, then 2 whose image file is missing."""
    from vision_r1_plugins.testing.synthetic import sharegpt_row, write_sharegpt_dataset

    data_dir = tmp_path / "data"
    path = write_sharegpt_dataset(data_dir, "toy", rows=3)
    rows = json.loads(path.read_text()) + [sharegpt_row("images/nowhere.png", 100 + n) for n in range(2)]
    path.write_text(json.dumps(rows))
    return data_dir


def _validate(data_dir: Path, model: object, *extra: object) -> Result:
    return _run(
        "lf",
        "validate",
        "--dataset-dir",
        data_dir,
        "--dataset",
        "toy",
        "--model",
        model,
        "--cutoff-len",
        1024,
        "--workers",
        1,
        *extra,
    )


def test_validate_model_path_that_does_not_exist(sharegpt: Path) -> None:
    _fails(_validate(sharegpt, "/no/model"), 2, "model path /no/model does not exist", "hub name")


def test_validate_unregistered_dataset_lists_the_registered_ones(sharegpt: Path, tmp_path: Path) -> None:
    result = _run(
        "lf", "validate", "--dataset-dir", sharegpt, "--dataset", "tyo", "--model", tmp_path, "--cutoff-len", 1024
    )
    _fails(result, 2, "Undefined dataset tyo", "registered: toy", "fix --dataset")


def test_validate_folder_that_is_not_a_model(sharegpt: Path, tmp_path: Path) -> None:
    (tmp_path / "empty-model").mkdir()
    _fails(_validate(sharegpt, tmp_path / "empty-model"), 2, "could not load the tokenizer", "give --model")


def test_validate_all_rejected_exits_1(sharegpt: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    result = _run(
        "lf",
        "validate",
        "--dataset-dir",
        sharegpt,
        "--dataset",
        "toy",
        "--model",
        tiny_model_dir,
        "--cutoff-len",
        16,
        "--workers",
        1,
    )
    _fails(result, 1, "no row of toy is usable", "5 of 5 rejected", "raise --cutoff-len", "--fix DIR")


def test_validate_partial_exits_0_and_says_where_the_rejects_are(
    sharegpt: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    result = _validate(sharegpt, tiny_model_dir, "--fix", tmp_path / "fixed")
    assert result.exit_code == 0, result.output
    rejects = tmp_path / "fixed" / "toy.rejects.jsonl"
    assert _first_line(result) == f"2 of 5 rows rejected: see {rejects}"
    assert "5 rows, 3 kept, 2 rejected" in _flat(result.stdout)
    assert len(rejects.read_text().splitlines()) == 2
    assert len((tmp_path / "fixed" / "toy.jsonl").read_text().splitlines()) == 3


def test_validate_strict_fails_on_any_reject(sharegpt: Path, tiny_model_dir: Path) -> None:
    _fails(
        _validate(sharegpt, tiny_model_dir, "--strict"),
        1,
        "--strict: 2 of 5 rows of toy rejected",
        "missing_image",
        "--fix DIR",
    )


# ---------------------------------------------------------------------------------------------------------
# sft: LLaMA-Factory's own refusals, checked before it loads anything


def _sft_config(tmp_path: Path, **changes: object) -> Path:
    from vision_r1_plugins.testing.synthetic import write_sharegpt_dataset

    data_dir = tmp_path / "data"
    if not (data_dir / "dataset_info.json").exists():
        write_sharegpt_dataset(data_dir, "toy", rows=2)
    config: dict[str, object] = {
        "model_name_or_path": str(tmp_path),
        "stage": "sft",
        "do_train": True,
        "finetuning_type": "full",
        "dataset": "toy",
        "dataset_dir": str(data_dir),
        "template": "qwen2_vl",
        "cutoff_len": 512,
        "output_dir": str(tmp_path / "out"),
        "max_steps": 1,
        "report_to": "none",
    }
    for key, value in changes.items():  # None drops the key
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    path = tmp_path / "sft.yaml"
    path.write_text("".join(f"{key}: {json.dumps(value)}\n" for key, value in config.items()))
    return path


def test_sft_missing_config(tmp_path: Path) -> None:
    _fails(_run("sft", tmp_path / "missing.yaml"), 2, "training config not found", "vision-r1 recipes copy")


def test_sft_misspelt_key_names_the_right_one(tmp_path: Path) -> None:
    config = _sft_config(tmp_path, model_name_or_path=None, modle_name_or_path=str(tmp_path))
    _fails(_run("sft", config), 2, "'modle_name_or_path' (did you mean 'model_name_or_path'?)", "fix the spelling")


def test_sft_misspelt_override_on_the_command_line(tmp_path: Path) -> None:
    _fails(_run("sft", _sft_config(tmp_path), "learning_rat=1e-5"), 2, "did you mean 'learning_rate'?")


def test_sft_model_path_that_does_not_exist(tmp_path: Path) -> None:
    config = _sft_config(tmp_path, model_name_or_path="/no/model")
    _fails(_run("sft", config), 2, "model_name_or_path", "/no/model does not exist", "hub name")


def test_sft_unregistered_dataset_lists_the_registered_ones(tmp_path: Path) -> None:
    _fails(
        _run("sft", _sft_config(tmp_path, dataset="tyo")),
        2,
        "dataset 'tyo' (did you mean 'toy'?)",
        "it has: toy",
        "vision-r1 lf register",
    )


def test_sft_registered_dataset_whose_file_is_missing(tmp_path: Path) -> None:
    config = _sft_config(tmp_path)
    (tmp_path / "data" / "toy.json").unlink()
    _fails(_run("sft", config), 2, "dataset 'toy'", "toy.json does not exist", "relative to dataset_dir")


def test_sft_unknown_template(tmp_path: Path) -> None:
    _fails(_run("sft", _sft_config(tmp_path, template="qwen2vl")), 2, "did you mean 'qwen2_vl'?")


def test_sft_debug_shows_the_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISION_R1_DEBUG", "0")  # --debug sets it to 1; monkeypatch puts it back afterwards
    result = _run("--debug", "sft", _sft_config(tmp_path, dataset="tyo"))
    from vision_r1_plugins.core.errors import UsageError

    assert isinstance(result.exception, UsageError) and "dataset 'tyo'" in str(result.exception)


# ---------------------------------------------------------------------------------------------------------
# Real processes: what a user's terminal shows, library logging included


def _process(*args: object) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "vision_r1_plugins.cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_rl_data_process_bad_model_is_one_line(tmp_path: Path) -> None:
    completed = _process("rl-data", sample_problems(), "--model", "/no/model", "--out", tmp_path / "rl")
    assert completed.returncode == 2
    assert completed.stderr.strip() == (
        "error: model path /no/model does not exist: give a model folder or a hub name (org/name)"
    )


@pytest.mark.slow
def test_sft_process_misspelt_key_is_one_line(tmp_path: Path) -> None:
    completed = _process("sft", _sft_config(tmp_path, model_name_or_path=None, modle_name_or_path=str(tmp_path)))
    assert completed.returncode == 2 and "Traceback" not in completed.stderr
    assert completed.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'sft.yaml'}: LLaMA-Factory has no argument 'modle_name_or_path' (did you mean "
        "'model_name_or_path'?): fix the spelling (ALLOW_EXTRA_ARGS=1 passes unknown keys through)"
    ]
