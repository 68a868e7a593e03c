from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vision_r1_plugins.core.exclusion import OVERLAP_REASON, Excluder
from vision_r1_plugins.core.problems import ProblemColumns, read_problems
from vision_r1_plugins.overlap import IndexConfig, OverlapConfig, check_overlap, load_index
from vision_r1_plugins.overlap.training import TrainingRow, read_training

FORMATS = ["problems", "problems_parquet", "sharegpt_json", "sharegpt_jsonl", "bridge_kept", "verl"]


def expected_pairs(planted: Any) -> set[tuple[str, str, str]]:
    return {(row_id, bench, kind) for row_id, _, _, _, bench, kind in planted if bench}


@pytest.mark.parametrize("written", FORMATS)
def test_planted_duplicates_are_found_and_the_clean_copy_adds_up(
    written: str, tmp_path: Path, benchmark_file: Path, training_writer: Any, planted: Any
) -> None:
    train = training_writer(tmp_path / "train", written)
    out = tmp_path / "out"
    report = check_overlap(OverlapConfig((train,), (f"vision_r1={benchmark_file}",), out, write_clean=True))

    pairs = [json.loads(line) for line in (out / "pairs.jsonl").read_text("utf-8").splitlines()]
    ids = [row[0] for row in planted]
    found = {(ids[pair["train_index"]], pair["benchmark_row"], pair["kind"]) for pair in pairs}
    assert expected_pairs(planted) <= found
    # Nothing else: the template row (t4) and the unrelated row (t5) are not flagged by any kind.
    assert {train_id for train_id, _, _ in found} == {row_id for row_id, *_, bench, _ in planted if bench}
    assert all(pair["similarity"] >= 0.8 for pair in pairs)

    (benchmark,) = report.benchmarks
    assert benchmark.found_rows == 5 and benchmark.indexed == 5 and benchmark.share == 1.0
    (training,) = report.training
    assert (training.input, training.kept, training.filtered_total, training.rejected_total) == (7, 2, 5, 0)
    summary = json.loads((out / "overlap.json").read_text("utf-8"))
    assert summary["benchmarks"][0]["found"] == 5 and summary["training"][0]["filtered"] == {OVERLAP_REASON: 5}

    # The copy: the same format, the kept rows only, images still resolving; removed.jsonl has the rest.
    assert training.clean_path is not None and training.clean_path.suffix == train.suffix
    clean_format, rows = read_training(training.clean_path)
    kept = list(rows)
    assert clean_format == read_training(train)[0]
    assert [row.index for row in kept] == [0, 1] and all(isinstance(row, TrainingRow) for row in kept)
    assert all(isinstance(image, bytes) or Path(image).is_file() for row in kept for image in row.images)  # type: ignore[union-attr]
    removed = [json.loads(line) for line in training.removed_path.read_text("utf-8").splitlines()]  # type: ignore[union-attr]
    assert [record["index"] for record in removed] == [0, 1, 2, 3, 6]
    assert all(record["reason"] == OVERLAP_REASON and record["matches"] for record in removed)
    assert len(kept) + len(removed) == training.input


def test_the_sharegpt_copy_is_a_llamafactory_dataset_dir(
    tmp_path: Path, benchmark_file: Path, training_writer: Any
) -> None:
    from datasets import load_dataset

    train = training_writer(tmp_path / "train", "sharegpt_json")
    report = check_overlap(OverlapConfig((train,), (str(benchmark_file),), tmp_path / "out", write_clean=True))
    clean = report.training[0].clean_path
    assert clean is not None
    info = json.loads((clean.parent / "dataset_info.json").read_text("utf-8"))
    entry = info[clean.stem]
    assert entry["file_name"] == clean.name and entry["formatting"] == "sharegpt"
    assert entry["columns"] == {"messages": "conversations", "images": "images"}
    assert entry["tags"]["role_tag"] == "from" and entry["tags"]["user_tag"] == "human"
    loaded = load_dataset("json", data_files=str(clean), split="train")  # what LLaMA-Factory does with it
    assert len(loaded) == 2
    for images in loaded["images"]:
        assert all((clean.parent / image).is_file() for image in images)


def test_unreadable_rows_are_counted_and_kept_out_of_the_copy(tmp_path: Path, benchmark_file: Path, jsonl: Any) -> None:
    turns = [{"role": "user", "content": "A question that appears in no benchmark at all, asked here once."}]
    train = jsonl(tmp_path / "train.jsonl", [{"messages": turns}, "{oops", {"messages": []}])
    report = check_overlap(OverlapConfig((train,), (str(benchmark_file),), tmp_path / "out", write_clean=True))
    training = report.training[0]
    assert (training.input, training.kept, training.rejected) == (3, 1, {"invalid_json": 1, "no_user_turn": 1})
    removed = training.removed_path.read_text("utf-8").splitlines()  # type: ignore[union-attr]
    assert [json.loads(line)["reason"] for line in removed] == ["invalid_json", "no_user_turn"]
    assert not report.any_overlap


def test_without_images_only_text_matches(
    tmp_path: Path, benchmark_file: Path, training_writer: Any, planted: Any
) -> None:
    train = training_writer(tmp_path / "train", "problems")
    config = OverlapConfig((train,), (str(benchmark_file),), tmp_path / "out", index=IndexConfig(images=False))
    report = check_overlap(config)
    assert {kind: len(ids) for kind, ids in report.benchmarks[0].found.items()} == {
        "text_exact": 2,
        "text_near": 1,
        "image": 0,
    }
    assert report.training[0].images.hashed == 0


def test_the_index_is_the_excluder_of_bridge_and_rl_data(
    tmp_path: Path, benchmark_file: Path, training_writer: Any
) -> None:
    train = training_writer(tmp_path / "train", "problems")
    index: Excluder = load_index([f"vision_r1={benchmark_file}"])
    problems = list(read_problems(train, ProblemColumns(require_image=False)))
    matches = [index.match_problem(problem) for problem in problems]  # type: ignore[arg-type]
    assert [match.row_id if match else None for match in matches] == ["b1", "b3", "b2", "b5", None, None, "b4"]
    assert [match.kind if match else None for match in matches] == [
        "text_exact",
        "text_exact",
        "text_near",
        "image",
        None,
        None,
        "image",
    ]
    assert matches[0] is not None and matches[0].similarity == 1.0 and "b1" in matches[0].describe()


def test_a_check_that_fails_midway_leaves_no_clean_copy(
    tmp_path: Path, benchmark_file: Path, training_writer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vision_r1_plugins.overlap.index import BenchmarkIndex

    calls = {"n": 0}
    original = BenchmarkIndex.find

    def failing(self: BenchmarkIndex, *args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return original(self, *args)

    monkeypatch.setattr(BenchmarkIndex, "find", failing)
    train = training_writer(tmp_path / "train", "sharegpt_json")
    with pytest.raises(RuntimeError, match="disk full"):
        check_overlap(OverlapConfig((train,), (str(benchmark_file),), tmp_path / "out", write_clean=True))
    assert not list((tmp_path / "out" / "clean").rglob("*.json*"))
