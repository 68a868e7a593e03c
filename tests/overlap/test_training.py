from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.overlap.image_index import ImageHashes, hash_image
from vision_r1_plugins.overlap.normalize import normalise
from vision_r1_plugins.overlap.training import TrainFormat, TrainingReject, TrainingRow, read_training

FORMATS = {
    "problems": TrainFormat.PROBLEMS,
    "problems_parquet": TrainFormat.PROBLEMS,
    "sharegpt_json": TrainFormat.SHAREGPT,
    "sharegpt_jsonl": TrainFormat.SHAREGPT,
    "bridge_kept": TrainFormat.BRIDGE_KEPT,
    "verl": TrainFormat.VERL,
}


@pytest.mark.parametrize("written", sorted(FORMATS))
def test_each_training_format_is_detected_and_read(
    written: str, tmp_path: Path, training_writer: Any, planted: Any
) -> None:
    path = training_writer(tmp_path / "train", written)
    train_format, rows = read_training(path)
    rows = list(rows)
    assert train_format is FORMATS[written]
    assert all(isinstance(row, TrainingRow) for row in rows) and len(rows) == len(planted)
    for row, (row_id, question, _, _, _, _) in zip(rows, planted, strict=True):
        assert isinstance(row, TrainingRow)
        assert "<image>" not in row.question
        assert normalise(row.question, row.choices) == normalise(question)
        assert len(row.images) == 1 and isinstance(hash_image(row.images[0]), ImageHashes)
        if written not in ("sharegpt_json", "sharegpt_jsonl", "problems_parquet"):
            assert row.id == row_id


def test_bad_lines_and_rows_without_a_user_turn_are_rejects(tmp_path: Path, jsonl: Any) -> None:
    turns = [{"role": "user", "content": "<image>What is shown here in the picture today?"}]
    path = jsonl(
        tmp_path / "train.jsonl",
        [
            {"messages": turns, "images": ["a.png"]},
            "{broken",
            {"messages": [{"role": "assistant", "content": "hi"}]},
            [1, 2],
        ],
    )
    train_format, rows = read_training(path)
    read = list(rows)
    assert train_format is TrainFormat.SHAREGPT
    assert [row.reason for row in read if isinstance(row, TrainingReject)] == [
        "invalid_json",
        "no_user_turn",
        "invalid_row",
    ]
    assert isinstance(read[0], TrainingRow) and read[0].images == (str(tmp_path / "a.png"),)


def test_problems_rows_are_read_as_bridge_and_rl_data_read_them(tmp_path: Path, jsonl: Any) -> None:
    rows = [
        {"id": "a", "problem": "Question one about x?", "answer": "1"},
        {"id": "b", "problem": "Two?", "answer": ""},
    ]
    _, read = read_training(jsonl(tmp_path / "p.jsonl", rows))
    first, second = list(read)
    assert isinstance(first, TrainingRow) and first.images == ()
    assert isinstance(second, TrainingReject) and second.reason == "missing_answer"
    with pytest.raises(UsageError, match="--answer-column"):  # the shared reader's column check
        list(read_training(jsonl(tmp_path / "q.jsonl", [{"problem": "x"}]))[1])


def test_an_unknown_format_names_the_option(tmp_path: Path) -> None:
    path = tmp_path / "odd.json"
    path.write_text(json.dumps([{"text": "x"}]))
    with pytest.raises(UsageError, match="--train-format"):
        read_training(path)
    with pytest.raises(UsageError, match="not found"):
        read_training(tmp_path / "missing.jsonl")
