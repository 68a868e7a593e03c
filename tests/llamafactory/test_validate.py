"""Validation against planted bad rows, checked against LLaMA-Factory's own loader and preprocessing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.llamafactory.validate import (
    RowChecker,
    ValidateConfig,
    ValidationError,
    dataset_attr,
    lf_resized_size,
    validate_dataset,
)
from vision_r1_plugins.testing.synthetic import sharegpt_row, write_sharegpt_dataset

GOOD_ROWS = 12
PLANTED = (
    "invalid_row",
    "bad_role_order",
    "empty_turn",
    "image_count_mismatch",
    "missing_image",
    "undecodable_image",
    "over_cutoff_len",
)


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """A registered dataset: GOOD_ROWS good rows, then one bad row per rule."""
    data_dir = tmp_path / "data"
    path = write_sharegpt_dataset(data_dir, "toy", rows=GOOD_ROWS, images=4)
    rows = json.loads(path.read_text())
    mismatch = sharegpt_row("images/img_00000.png", 100)
    mismatch["messages"][0]["content"] += " and this <image>"
    (data_dir / "images" / "broken.png").write_bytes(b"definitely not a png")
    reversed_turns = sharegpt_row("images/img_00001.png", 102)
    reversed_turns["messages"].reverse()
    empty = sharegpt_row("images/img_00001.png", 103)
    empty["messages"][1]["content"] = "   "
    rows += [
        "not an object",
        reversed_turns,
        empty,
        mismatch,
        sharegpt_row("images/nowhere.png", 101),
        sharegpt_row("images/broken.png", 104),
        sharegpt_row("images/img_00002.png", 105, thinking_words=3000),
    ]
    path.write_text(json.dumps(rows))
    return data_dir


def test_every_rule_is_caught_and_counts_add_up(planted: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    config = ValidateConfig(str(planted), "toy", str(tiny_model_dir), cutoff_len=1024, num_workers=2, chunk_rows=5)
    seen: list[int] = []
    report = validate_dataset(config, fix_dir=tmp_path / "fixed", on_progress=seen.append)
    assert report.total == GOOD_ROWS + len(PLANTED) == sum(seen)
    assert report.kept == GOOD_ROWS
    assert dict(report.rejected) == dict.fromkeys(PLANTED, 1)
    assert report.kept + report.rejected_total == report.total
    assert "images/nowhere.png not found" in report.examples["missing_image"]
    assert "2 <image> placeholders but 1 images" in report.examples["image_count_mismatch"]

    clean = [json.loads(line) for line in report.clean_path.read_text().splitlines()]
    rejects = [json.loads(line) for line in report.rejects_path.read_text().splitlines()]
    assert len(clean) == GOOD_ROWS and len(rejects) == len(PLANTED)
    assert sorted(record["reason"] for record in rejects) == sorted(PLANTED)
    assert [record["index"] for record in rejects] == list(range(GOOD_ROWS, GOOD_ROWS + len(PLANTED)))
    assert all(Path(row["images"][0]).is_absolute() and Path(row["images"][0]).is_file() for row in clean)
    summary = json.loads((tmp_path / "fixed" / "toy.validation.json").read_text())
    assert summary["kept"] == GOOD_ROWS and summary["rejected"]["over_cutoff_len"] == 1


def test_token_counts_equal_llamafactory_preprocessing(planted: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    """The clean copy loads through LLaMA-Factory's own pipeline, whose input_ids lengths equal ours."""
    from llamafactory.train.test_utils import load_dataset_module

    config = ValidateConfig(str(planted), "toy", str(tiny_model_dir), cutoff_len=1024)
    validate_dataset(config, fix_dir=tmp_path / "fixed")
    fixed = ValidateConfig(str(tmp_path / "fixed"), "toy", str(tiny_model_dir), cutoff_len=1024)
    checker = RowChecker(fixed, dataset_attr(fixed))
    rows = [json.loads(line) for line in (tmp_path / "fixed" / "toy.jsonl").read_text().splitlines()]
    ours = [checker.check(index, row).tokens for index, row in enumerate(rows)]
    module = load_dataset_module(
        model_name_or_path=str(tiny_model_dir),
        stage="sft",
        do_train=True,
        finetuning_type="full",
        dataset="toy",
        dataset_dir=str(tmp_path / "fixed"),
        template="qwen2_vl",
        cutoff_len=1024,
        overwrite_cache=True,
        output_dir=str(tmp_path / "out"),
        report_to="none",
    )
    theirs = [len(example["input_ids"]) for example in module["train_dataset"]]
    assert ours == theirs and all(count > 0 for count in ours)


def test_image_sizing_matches_llamafactory_plugin(tiny_model_dir: Path, tmp_path: Path) -> None:
    """Header-size arithmetic gives the same image token counts as LLaMA-Factory decoding the pixels."""
    from llamafactory.data.template import get_template_and_fix_tokenizer
    from llamafactory.hparams import DataArguments, ModelArguments
    from llamafactory.model import load_tokenizer
    from PIL import Image

    loaded = load_tokenizer(ModelArguments(model_name_or_path=str(tiny_model_dir)))
    template = get_template_and_fix_tokenizer(loaded["tokenizer"], DataArguments(template="qwen2_vl"))
    data_dir = tmp_path / "d"
    write_sharegpt_dataset(data_dir, "one", rows=1)
    config = ValidateConfig(str(data_dir), "one", str(tiny_model_dir), cutoff_len=4096)
    checker = RowChecker(config, dataset_attr(config))
    for width, height in [(28, 28), (100, 80), (13, 900), (2000, 30), (640, 480), (5, 5), (1000, 1000)]:
        path = tmp_path / f"{width}x{height}.png"
        Image.new("RGB", (width, height), "white").save(path)
        expanded = template.mm_plugin.process_messages(
            [{"role": "user", "content": "<image>"}], [str(path)], [], [], loaded["processor"]
        )
        assert checker._image_tokens(str(path)) == expanded[0]["content"].count("<|image_pad|>"), (width, height)
    width, height = lf_resized_size(10_000, 10_000, 768 * 768, 32 * 32)
    assert width * height <= 768 * 768 and width == height


def test_jsonl_with_broken_lines_and_config_errors(tmp_path: Path, tiny_model_dir: Path) -> None:
    data_dir = tmp_path / "data"
    path = write_sharegpt_dataset(data_dir, "toy", rows=3)
    rows = json.loads(path.read_text())
    jsonl = data_dir / "toy.jsonl"
    jsonl.write_text("\n".join([json.dumps(rows[0]), "{broken", json.dumps(rows[1]), ""]))
    info = json.loads((data_dir / "dataset_info.json").read_text())
    info["toy"]["file_name"] = "toy.jsonl"
    (data_dir / "dataset_info.json").write_text(json.dumps(info))
    report = validate_dataset(ValidateConfig(str(data_dir), "toy", str(tiny_model_dir), cutoff_len=1024))
    assert (report.total, report.kept, dict(report.rejected)) == (3, 2, {"invalid_row": 1})
    with pytest.raises(ValidationError, match="Undefined dataset"):
        validate_dataset(ValidateConfig(str(data_dir), "nope", str(tiny_model_dir), cutoff_len=1024))
    with pytest.raises(ValidationError, match="cutoff_len"):
        ValidateConfig(str(data_dir), "toy", str(tiny_model_dir), cutoff_len=0)


def test_cli_validate(planted: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "lf",
            "validate",
            "--dataset-dir",
            str(planted),
            "--dataset",
            "toy",
            "--model",
            str(tiny_model_dir),
            "--cutoff-len",
            "1024",
            "--fix",
            str(tmp_path / "fixed"),
        ],
    )
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert f"{GOOD_ROWS + len(PLANTED)} rows, {GOOD_ROWS} kept, {len(PLANTED)} rejected" in flat
    assert (tmp_path / "fixed" / "toy.rejects.jsonl").is_file()
    missing = CliRunner().invoke(
        app,
        [
            "lf",
            "validate",
            "--dataset-dir",
            str(planted),
            "--dataset",
            "nope",
            "--model",
            str(tiny_model_dir),
            "--cutoff-len",
            "1024",
        ],
    )
    assert missing.exit_code == 2 and "Undefined dataset" in missing.output
