"""Evaluation-run analysis on synthetic runs: length buckets, plots, and the Markdown report."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from PIL import Image

from vision_r1_plugins.eval.analysis import (
    RunRows,
    accuracy_by_length,
    load_run,
    plot_accuracy_by_length,
    plot_length_histograms,
    write_report,
)
from vision_r1_plugins.ptst.metrics import report_section

# FIGSIZE (9, 5) inches at DPI 120.
PNG_SIZE = (1080, 600)


def _row(index: int, tokens: int, correct: bool, **extra: object) -> dict:
    row = {
        "id": f"q{index}",
        "correct": correct,
        "response_tokens": tokens,
        "hit_max_tokens": False,
        "category": ["geometry", "algebra"][index % 2],
        "extracted": "7",
        "markers": {"wait": index % 3, "hmm": 0, "double_check": index % 2},
    }
    row.update(extra)
    return row


def _short_is_right(name: str, start: int, step: int, max_tokens: int | None = None) -> RunRows:
    """400 rows in 8 length octiles of 50; the b-th shortest octile is right on 9 - b of every 10 rows."""
    rows = [
        _row(i, start + step * i, (i % 10) < 9 - i // 50, hit_max_tokens=max_tokens is not None and i >= 390)
        for i in range(400)
    ]
    random.Random(0).shuffle(rows)  # the analysis must sort by length itself
    return RunRows(name, rows)


def _write_rows(directory: Path, rows: list[dict]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "rows.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return directory


def _png_ok(path: Path) -> None:
    assert path.is_file() and path.stat().st_size > 10_000
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == PNG_SIZE


def test_load_run_names_after_folder_and_keeps_rows(tmp_path: Path) -> None:
    rows = [_row(0, 10, True), _row(1, 20, False, category=None, markers=None)]
    run = load_run(_write_rows(tmp_path / "Vision-R1-CI", rows))
    assert run.name == "Vision-R1-CI" and run.failed == 0
    # Rows come back as whole records: every field they were written with, the rest at its default.
    assert [{key: row[key] for key in rows[0]} for row in run.rows] == [rows[0], {**rows[1], "markers": {}}]
    assert run.rows[0]["failed"] is None and run.rows[1]["method"] is None
    assert load_run(tmp_path / "Vision-R1-CI", name="ci").name == "ci"
    assert load_run(tmp_path / "Vision-R1-CI" / "rows.jsonl").name == "Vision-R1-CI"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("", "no rows"),
        ("\n\n", "no rows"),
        ('{"id": 1, "correct": true, "response_tokens": 5}\n{"id": 2, "correct": tru', r"rows.jsonl:2: not valid JSON"),
        ("[1, 2]\n", "expected a JSON object"),
        ('{"id": 1, "correct": true}\n', "missing response_tokens"),
        ('{"id": 1, "correct": "yes", "response_tokens": 5}\n', "'correct' must be true/false"),
        ('{"id": 1, "correct": true, "response_tokens": -1}\n', "non-negative integer"),
        ('{"id": 1, "correct": true, "response_tokens": 5, "markers": {"wait": "x"}}\n', "'markers'"),
    ],
)
def test_load_run_rejects_bad_runs(tmp_path: Path, content: str | None, message: str) -> None:
    if content is not None:
        (tmp_path / "rows.jsonl").write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_run(tmp_path)


def test_accuracy_falls_with_length() -> None:
    table = accuracy_by_length(_short_is_right("ci", start=100, step=5))
    assert [(low, high, count) for low, high, count, _ in table] == [
        (100 + 250 * b, 100 + 250 * b + 245, 50) for b in range(8)
    ]
    assert [accuracy for *_, accuracy in table] == pytest.approx([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])


def test_equal_lengths_make_one_bucket_and_ties_are_never_split() -> None:
    same = RunRows("same", [_row(i, 512, i < 3) for i in range(10)])
    assert accuracy_by_length(same) == [(512, 512, 10, pytest.approx(0.3))]
    # 3 rows cannot fill 8 buckets; the empty ones are skipped.
    assert [count for _, _, count, _ in accuracy_by_length(RunRows("few", [_row(i, i, True) for i in range(3)]))] == [
        1,
        1,
        1,
    ]
    # A tie straddling the median goes wholly to the side nearer the quantile: [1, 2 | 5, 5, 5, 9].
    tied = RunRows("tied", [_row(i, length, True) for i, length in enumerate([1, 2, 5, 5, 5, 9])])
    assert [(low, high, count) for low, high, count, _ in accuracy_by_length(tied, buckets=2)] == [(1, 2, 2), (5, 9, 4)]
    with pytest.raises(ValueError, match="at least 1"):
        accuracy_by_length(tied, buckets=0)


def test_empty_or_ambiguous_runs_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'empty' has no rows"):
        accuracy_by_length(RunRows("empty", []))
    with pytest.raises(ValueError, match="has no rows"):
        plot_length_histograms([RunRows("empty", [])], tmp_path / "h.png")
    with pytest.raises(ValueError, match="no runs"):
        write_report([], tmp_path)
    run = _short_is_right("same", 100, 5)
    with pytest.raises(ValueError, match="share the name"):
        plot_accuracy_by_length([run, run], tmp_path / "a.png")


def test_plots_are_real_images(tmp_path: Path) -> None:
    runs = [_short_is_right("Vision-R1-CI", 100, 5), _short_is_right("Vision-R1", 400, 9, max_tokens=4000)]
    _png_ok(plot_accuracy_by_length(runs, tmp_path / "plots" / "accuracy.png"))
    _png_ok(plot_length_histograms(runs, tmp_path / "plots" / "lengths.png"))
    same = [RunRows("same", [_row(i, 512, i < 3) for i in range(10)])]
    _png_ok(plot_accuracy_by_length(same, tmp_path / "same-accuracy.png"))
    _png_ok(plot_length_histograms(same, tmp_path / "same-lengths.png"))


def test_report_numbers(tmp_path: Path) -> None:
    rows = [
        _row(0, 100, True, category="geometry", markers={"wait": 2, "hmm": 1, "double_check": 0}),
        _row(1, 200, True, category="geometry", markers={"wait": 0, "hmm": 0, "double_check": 1}),
        _row(2, 300, False, category="algebra", extracted=None, markers={"wait": 1, "hmm": 0, "double_check": 0}),
        _row(3, 1000, False, category=None, extracted="", hit_max_tokens=True, markers={"wait": 5, "hmm": 2}),
    ]
    run = load_run(_write_rows(tmp_path / "runs" / "small", rows))
    report = write_report([run], tmp_path / "report")
    assert report == tmp_path / "report" / "report.md"
    text = report.read_text(encoding="utf-8")
    # accuracy 2/4, no answer 2/4, max tokens 1/4, mean 400, median 250
    assert "| small | 4 | 50.0% | 50.0% | 25.0% | 400.0 | 250.0 |" in text
    # markers per response: wait 8/4, hmm 3/4, double_check 1/4, total 3
    assert "| run | wait | hmm | double_check | total |" in text
    assert "| small | 2.00 | 0.75 | 0.25 | 3.00 |" in text
    assert "| algebra | 0.0% (1) |" in text and "| geometry | 100.0% (2) |" in text and "| (none) | 0.0% (1) |" in text
    assert "| 100–100 | 1 | 100.0% |" in text and "| 1000–1000 | 1 | 0.0% |" in text
    assert "![Accuracy by response length](accuracy_by_length.png)" in text
    assert "![Response length histograms](length_histograms.png)" in text
    assert "PTST" not in text
    _png_ok(tmp_path / "report" / "accuracy_by_length.png")
    _png_ok(tmp_path / "report" / "length_histograms.png")


def test_report_compares_runs_and_handles_missing_categories(tmp_path: Path) -> None:
    ci = _short_is_right("Vision-R1-CI", 100, 5)
    plain = RunRows("Vision-R1", [_row(i, 300 + i, i % 2 == 0, category=None, markers=None) for i in range(20)])
    text = write_report([ci, plain], tmp_path).read_text(encoding="utf-8")
    assert "| category | Vision-R1-CI | Vision-R1 |" in text
    assert "| geometry | 60.0% (200) | – |" in text and "| (none) | – | 50.0% (20) |" in text
    assert "| Vision-R1 | 0.00 | 0.00 | 0.00 | 0.00 |" in text
    assert "### Vision-R1-CI" in text and "| 100–345 | 50 | 90.0% |" in text

    nothing = write_report([plain], tmp_path / "plain").read_text(encoding="utf-8")
    assert "No row has a category." in nothing


def test_report_includes_ptst_curves(tmp_path: Path) -> None:
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    lines = [
        {"step": step, "data": {"critic/score/mean": 0.2 + 0.05 * step, "response_length/mean": 900 - 40 * step}}
        for step in range(1, 11)
    ]
    (metrics / "00-stage1-from0.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    section = report_section(metrics, tmp_path / "out")
    text = write_report([_short_is_right("ci", 100, 5)], tmp_path / "out", [section]).read_text("utf-8")
    assert "![PTST training curves](ptst_curves.png)" in text
    assert "| stage1 | 1–10 | 0.475 | 680.0 |" in text
    png = tmp_path / "out" / "ptst_curves.png"
    assert png.is_file() and png.stat().st_size > 10_000

    empty = tmp_path / "empty-metrics"
    empty.mkdir()
    section = report_section(empty, tmp_path / "out2")
    text = write_report([_short_is_right("ci", 100, 5)], tmp_path / "out2", [section]).read_text("utf-8")
    assert "No training metrics found" in text and not (tmp_path / "out2" / "ptst_curves.png").exists()
    with pytest.raises(ValueError, match="does not exist"):
        report_section(tmp_path / "missing", tmp_path / "out3")
    assert not (tmp_path / "out3").exists()
