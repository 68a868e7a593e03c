"""What a validation run does when a worker process dies, when it stops early, and with image bytes (parquet)."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.core.errors import RunError
from vision_r1_plugins.llamafactory import validate
from vision_r1_plugins.llamafactory.validate import ValidateConfig, check_outcome, validate_dataset
from vision_r1_plugins.testing.synthetic import SHAREGPT_ENTRY, sharegpt_row, write_sharegpt_dataset

ROWS = 40
KILLER = "question 17)"  # the row whose check kills its worker process


def _dies_on_one_row(original):
    def check(self, index, row):
        if isinstance(row, dict) and KILLER in row["messages"][0]["content"]:
            os._exit(3)  # a real process death, as a segfault in an image library or the OOM killer gives
        return original(self, index, row)

    return check


@pytest.fixture
def dying_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    # Workers are forked, so they inherit the patched method; a spawned worker would not.
    assert multiprocessing.get_start_method() == "fork"
    monkeypatch.setattr(validate.RowChecker, "check", _dies_on_one_row(validate.RowChecker.check))


def test_a_dead_worker_costs_only_its_chunk_and_fails_the_run(
    dying_worker: None, tmp_path: Path, tiny_model_dir: Path
) -> None:
    data_dir = tmp_path / "data"
    write_sharegpt_dataset(data_dir, "toy", rows=ROWS, images=4)
    config = ValidateConfig(str(data_dir), "toy", str(tiny_model_dir), cutoff_len=1024, num_workers=2, chunk_rows=5)
    report = validate_dataset(config, fix_dir=tmp_path / "fixed")
    # Rows 15-19 were in the chunk that killed its worker (twice: once in flight, once alone); the chunks in
    # flight beside it were checked again in a fresh pool and kept.
    assert report.complete and len(report.worker_failures) == 1
    assert "rows 15-19" in report.worker_failures[0]
    assert (report.total, report.kept, dict(report.rejected)) == (ROWS, ROWS - 5, {"invalid_row": 5})
    rejects = [json.loads(line) for line in report.rejects_path.read_text().splitlines()]
    assert [record["index"] for record in rejects] == [15, 16, 17, 18, 19]
    assert "a worker process died" in rejects[0]["detail"]
    summary = json.loads((tmp_path / "fixed" / "toy.validation.json").read_text())
    assert summary["kept"] + summary["rejected"]["invalid_row"] == summary["total"] == ROWS
    assert summary["worker_failures"] == report.worker_failures
    with pytest.raises(RunError, match="1 worker process"):
        check_outcome(report)


def test_the_cli_reports_a_dead_worker_and_exits_1(dying_worker: None, tmp_path: Path, tiny_model_dir: Path) -> None:
    data_dir = tmp_path / "data"
    write_sharegpt_dataset(data_dir, "toy", rows=ROWS, images=4)
    result = CliRunner().invoke(
        app,
        [
            "lf",
            "validate",
            "--dataset-dir",
            str(data_dir),
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
    assert result.exit_code == 1, result.output
    flat = " ".join(result.output.split())
    assert "worker failure: a worker process died" in flat
    assert f"{ROWS} rows, 0 kept, {ROWS} rejected" in flat  # the default chunk (128 rows) held every row
    assert "Traceback" not in result.output


def test_a_run_that_stops_early_still_writes_its_summary(
    tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    write_sharegpt_dataset(data_dir, "toy", rows=30, images=3)
    seen: list[int] = []

    def interrupt(count: int) -> None:
        seen.append(count)
        if len(seen) == 2:
            raise KeyboardInterrupt

    config = ValidateConfig(str(data_dir), "toy", str(tiny_model_dir), cutoff_len=1024, chunk_rows=5)
    with pytest.raises(KeyboardInterrupt):
        validate_dataset(config, fix_dir=tmp_path / "fixed", on_progress=interrupt)
    summary = json.loads((tmp_path / "fixed" / "toy.validation.json").read_text())
    assert summary["complete"] is False and summary["error"] == "KeyboardInterrupt"
    assert summary["total"] == 10 == summary["kept"] + sum(summary["rejected"].values())
    assert not (tmp_path / "fixed" / "dataset_info.json").exists()  # a partial copy is not registered


def test_image_bytes_from_parquet_become_files_in_the_clean_copy(tmp_path: Path, tiny_model_dir: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    rows = []
    for index in range(6):
        buffer = io.BytesIO()
        Image.new("RGB", (60 + index, 50), (index * 40, 80, 120)).save(buffer, "PNG")
        row = sharegpt_row("unused", index)
        data = buffer.getvalue() if index != 5 else buffer.getvalue()[:60]  # the last one is truncated
        row["images"] = [{"bytes": data, "path": None}]
        rows.append(row)
    pq.write_table(pa.Table.from_pylist(rows), data_dir / "bytes.parquet")
    (data_dir / "dataset_info.json").write_text(json.dumps({"bytes": {"file_name": "bytes.parquet", **SHAREGPT_ENTRY}}))
    report = validate_dataset(
        ValidateConfig(str(data_dir), "bytes", str(tiny_model_dir), cutoff_len=1024), fix_dir=tmp_path / "fixed"
    )
    assert (report.kept, dict(report.rejected)) == (5, {"undecodable_image": 1})
    clean = [json.loads(line) for line in report.clean_path.read_text().splitlines()]
    paths = [row["images"][0] for row in clean]
    assert all(Path(path).parent == tmp_path / "fixed" / "images" and Path(path).is_file() for path in paths)
    assert [Image.open(path).size for path in paths] == [(60 + index, 50) for index in range(5)]
    rejected = json.loads(report.rejects_path.read_text())
    assert rejected["row"]["images"][0]["bytes"] == "<60 bytes>"
