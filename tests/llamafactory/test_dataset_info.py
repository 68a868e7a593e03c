from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.core.dataset_info import DatasetInfoError, bundled_entries, register_datasets
from vision_r1_plugins.core.resources import data_path


def test_the_bundled_file_is_the_one_copy_of_the_entries() -> None:
    assert bundled_entries() == json.loads(data_path("dataset_info.json").read_text())
    assert set(bundled_entries()) == {"vision_r1_llava_cot_full", "vision_r1_mulberry_sft_full", "vision_r1_bridged"}


def test_released_entries_match_the_vision_r1_cold_layout() -> None:
    entries = bundled_entries()
    llava, mulberry = entries["vision_r1_llava_cot_full"], entries["vision_r1_mulberry_sft_full"]
    assert llava["columns"] == {"messages": "conversations", "images": "image"}
    assert (llava["tags"]["user_tag"], llava["tags"]["assistant_tag"]) == ("human", "gpt")
    assert mulberry["columns"]["images"] == "images"
    assert (mulberry["tags"]["user_tag"], mulberry["tags"]["assistant_tag"]) == ("user", "assistant")
    assert all(entry["formatting"] == "sharegpt" for entry in entries.values())


def test_merge_keeps_other_entries_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "dataset_info.json"
    path.write_text(json.dumps({"alpaca_en_demo": {"file_name": "alpaca_en_demo.json"}}))
    first = register_datasets(tmp_path)
    assert first.added == list(bundled_entries()) and first.changed
    before = path.read_text()
    second = register_datasets(tmp_path)
    assert not second.changed and second.unchanged == list(bundled_entries())
    assert path.read_text() == before
    data = json.loads(before)
    assert next(iter(data)) == "alpaca_en_demo" and len(data) == 1 + len(bundled_entries())


def test_creates_missing_file_and_selects_entries(tmp_path: Path) -> None:
    result = register_datasets(tmp_path / "new", bundled_entries(["vision_r1_bridged"]))
    assert result.added == ["vision_r1_bridged"]
    assert list(json.loads(result.path.read_text())) == ["vision_r1_bridged"]
    with pytest.raises(DatasetInfoError, match="unknown dataset entries"):
        bundled_entries(["nope"])


def test_conflicting_entry_needs_force(tmp_path: Path) -> None:
    path = tmp_path / "dataset_info.json"
    custom = {"vision_r1_bridged": {"file_name": "my_own.json"}}
    path.write_text(json.dumps(custom))
    with pytest.raises(DatasetInfoError, match="force"):
        register_datasets(tmp_path)
    assert json.loads(path.read_text()) == custom  # untouched on refusal
    result = register_datasets(tmp_path, force=True)
    assert result.replaced == ["vision_r1_bridged"]
    assert json.loads(path.read_text())["vision_r1_bridged"]["file_name"] == "vision_r1_bridged.json"


def test_invalid_existing_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "dataset_info.json").write_text("{not json")
    with pytest.raises(DatasetInfoError, match="not valid JSON"):
        register_datasets(tmp_path)
    (tmp_path / "dataset_info.json").write_text("[1, 2]")
    with pytest.raises(DatasetInfoError, match="JSON object"):
        register_datasets(tmp_path)


def test_cli_register(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "lf",
            "register",
            "--dataset-dir",
            str(tmp_path),
            "--entries",
            "vision_r1_llava_cot_full,vision_r1_mulberry_sft_full",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "added: vision_r1_llava_cot_full, vision_r1_mulberry_sft_full" in result.output
    (tmp_path / "dataset_info.json").write_text(json.dumps({"vision_r1_bridged": {"file_name": "x"}}))
    refused = runner.invoke(app, ["lf", "register", "--dataset-dir", str(tmp_path)])
    assert refused.exit_code == 2 and "--force" in refused.output


def test_llamafactory_reads_the_registered_entries(tmp_path: Path) -> None:
    from llamafactory.data.parser import get_dataset_list

    register_datasets(tmp_path)
    attrs = get_dataset_list(["vision_r1_llava_cot_full", "vision_r1_mulberry_sft_full"], str(tmp_path))
    assert [attr.images for attr in attrs] == ["image", "images"]
    assert [attr.messages for attr in attrs] == ["conversations", "conversations"]
    assert [attr.user_tag for attr in attrs] == ["human", "user"]
