from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.eval.tasks import BENCHMARKS
from vision_r1_plugins.overlap.benchmarks import detect_layout, parse_benchmark_arg, read_benchmark_rows

FIXTURES = Path(__file__).parents[1] / "eval" / "fixtures"
SAMPLES = Path(__file__).parents[2] / "data" / "samples" / "problems" / "problems.jsonl"
# One file per registered layout (the evaluation's own fixtures), with the rows each holds.
LAYOUT_FILES = {
    "mathvista_testmini": (FIXTURES / "mathvista" / "data" / "testmini.json", 30),
    "mathvista_test": (FIXTURES / "mathvista" / "data" / "testmini.json", 30),
    "mathverse_testmini": (FIXTURES / "mathverse" / "testmini.json", 15),
    "mathvision": (FIXTURES / "mathvision" / "testmini.jsonl", 8),
    "dynamath": (FIXTURES / "dynamath" / "10trials", 30),
    "wemath": (FIXTURES / "wemath" / "testmini.json", 10),
    "mm_math": (FIXTURES / "mm_math" / "mm_math.jsonl", 8),
    "vision_r1": (SAMPLES, 36),
}


def test_every_registered_layout_has_a_fixture_here() -> None:
    assert set(LAYOUT_FILES) == set(BENCHMARKS)


@pytest.mark.parametrize("name", sorted(LAYOUT_FILES))
def test_each_layout_is_read_by_name(name: str) -> None:
    path, rows = LAYOUT_FILES[name]
    benchmark = read_benchmark_rows(name, path)
    assert benchmark.layout == name and benchmark.rows_read == rows
    assert len(benchmark.rows) + sum(benchmark.rejected.values()) == rows
    assert sum(row.text is not None for row in benchmark.rows) >= rows // 2
    assert len({row.row_id for row in benchmark.rows}) == len(benchmark.rows)


@pytest.mark.parametrize("name", sorted(set(LAYOUT_FILES) - {"mathvista_test"}))
def test_each_layout_is_detected_from_its_first_row(name: str) -> None:
    assert detect_layout(LAYOUT_FILES[name][0]).name == name


def test_mathvista_splits_share_a_layout_the_file_name_decides(tmp_path: Path) -> None:
    source = LAYOUT_FILES["mathvista_testmini"][0]
    (tmp_path / "test.json").write_text(source.read_text("utf-8"), "utf-8")
    assert detect_layout(tmp_path / "test.json").name == "mathvista_test"
    (tmp_path / "mathvista.json").write_text(source.read_text("utf-8"), "utf-8")
    with pytest.raises(UsageError, match="mathvista_test=.* or mathvista_testmini="):  # noqa: RUF043
        detect_layout(tmp_path / "mathvista.json")


def test_a_file_in_no_layout_names_the_fix(tmp_path: Path, jsonl: Any) -> None:
    path = jsonl(tmp_path / "odd.jsonl", [{"text": "hi", "label": 1}])
    with pytest.raises(UsageError, match=r"give NAME=.*odd.jsonl \(dynamath, "):
        detect_layout(path)


def test_rows_without_answers_or_images_are_still_indexed_and_counted(tmp_path: Path, jsonl: Any) -> None:
    # MathVista's test split withholds its answers; an image file may be missing; a row may be junk.
    source = json.loads(LAYOUT_FILES["mathvista_testmini"][0].read_text("utf-8"))
    rows = [{**row, "answer": ""} for row in list(source.values())[:4]]  # as in the HF test parquet
    path = jsonl(tmp_path / "test.jsonl", [*rows, "not json", {"pid": "x", "question": "", "answer": "1"}])
    benchmark = read_benchmark_rows("mathvista_test", path)
    assert len(benchmark.rows) == 4 and all(row.text is not None for row in benchmark.rows)
    assert benchmark.image_problems == {"missing_image": 4}
    assert benchmark.rejected == {"invalid_json": 1, "no_text_or_image": 1}
    assert benchmark.rows_read == 6 and len(benchmark.examples) == 2


def test_name_equals_path_is_parsed_unless_the_path_exists(tmp_path: Path) -> None:
    assert parse_benchmark_arg("mathvision=data/test.jsonl") == ("mathvision", Path("data/test.jsonl"))
    assert parse_benchmark_arg("data/test.jsonl") == (None, Path("data/test.jsonl"))
    odd = tmp_path / "a=b.jsonl"
    odd.write_text("{}\n")
    assert parse_benchmark_arg(str(odd)) == (None, odd)


def test_unknown_layout_and_missing_file_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="unknown benchmark 'nope'"):
        read_benchmark_rows("nope", SAMPLES)
    with pytest.raises(UsageError, match="not found"):
        read_benchmark_rows(None, Path("missing.jsonl"))
