"""``--exclude-benchmark`` on ``bridge`` and ``rl-data``: benchmark rows in training data are filtered on the way in,
with the benchmark row named, and the counts still add up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.core.resources import sample_problems
from vision_r1_plugins.testing.fake_server import FakeServer, FakeServerConfig

pytest.importorskip("datasketch")
pytest.importorskip("imagehash")

runner = CliRunner()
LEAKED = ("geo-001", "chart-002", "geo-007")  # sample problems that a "benchmark" also holds


def _benchmark(tmp_path: Path) -> Path:
    """Three of the sample problems as a benchmark file in the vision_r1 layout, images by absolute path."""
    folder = sample_problems().parent
    rows = [json.loads(line) for line in sample_problems().read_text().splitlines()]
    leaked = [
        {**row, "images": [str(folder / image) for image in row["images"]], "id": f"bench-{row['id']}"}
        for row in rows
        if row["id"] in LEAKED
    ]
    path = tmp_path / "bench.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in leaked))
    return path


def _filtered_ids(records: list[dict]) -> set[str]:
    return {record["id"] for record in records if record["reason"] == "benchmark_overlap"}


def test_bridge_keeps_benchmark_rows_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with FakeServer(FakeServerConfig(teacher=True)) as server:
        result = runner.invoke(
            app,
            [
                "bridge",
                str(sample_problems()),
                "--out",
                str(out),
                "--base-url",
                server.url,
                "--model",
                "fake-mllm",
                "--exclude-benchmark",
                f"vision_r1={_benchmark(tmp_path)}",
            ],
        )
        asked = server.stats()["requests"]
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["filtered"].get("benchmark_overlap") == len(LEAKED) and summary["input"] == 36
    assert summary["kept"] + sum(summary["filtered"].values()) + sum(summary["rejected"].values()) == 36
    filtered = [json.loads(line) for line in (out / "filtered.jsonl").read_text().splitlines()]
    assert _filtered_ids(filtered) == set(LEAKED)
    assert all(f"row bench-{record['id']}" in record["detail"] for record in filtered if record["id"] in LEAKED)
    assert asked <= 3 * (36 - len(LEAKED))  # nothing was asked about the benchmark rows


def test_rl_data_keeps_benchmark_rows_out(tmp_path: Path, tiny_model_dir: Path) -> None:
    out = tmp_path / "rl"
    result = runner.invoke(
        app,
        [
            "rl-data",
            str(sample_problems()),
            "--model",
            str(tiny_model_dir),
            "--out",
            str(out),
            "--max-prompt-length",
            "4096",
            "--exclude-benchmark",
            str(_benchmark(tmp_path)),  # the layout detected from the file
        ],
    )
    assert result.exit_code == 0, result.output
    assert "3 filtered {'benchmark_overlap': 3}" in " ".join(result.output.split())
    rejects = [json.loads(line) for line in Path(f"{out}.rejects.jsonl").read_text().splitlines()]
    assert _filtered_ids(rejects) == set(LEAKED)
    import pyarrow.parquet as pq

    ids = {row["extra_info"]["id"] for row in pq.read_table(f"{out}.parquet").to_pylist()}
    assert not ids & set(LEAKED) and len(ids) + len(rejects) == 36


def test_a_benchmark_file_that_is_not_there_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "bridge",
            str(sample_problems()),
            "--out",
            str(tmp_path / "out"),
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--model",
            "m",
            "--exclude-benchmark",
            str(tmp_path / "missing.jsonl"),
        ],
    )
    assert result.exit_code == 2 and "missing.jsonl" in result.output and "Traceback" not in result.output
