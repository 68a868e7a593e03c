"""``vision-r1 eval`` end to end against a real HTTP OpenAI-compatible server."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from vision_r1_plugins.bridge.backends import make_backend
from vision_r1_plugins.bridge.fake_server import FakeServer, FakeServerConfig
from vision_r1_plugins.cli import app
from vision_r1_plugins.eval.benchmarks import get_benchmark
from vision_r1_plugins.eval.runner import EvalConfig, EvalRow, evaluate, map_row
from vision_r1_plugins.llamafactory.synthetic import write_images


def _benchmark(root: Path, count: int = 12) -> Path:
    names = write_images(root / "imgs", 3)
    rows = [{"id": f"q{i}", "images": [f"imgs/{names[i % 3]}"], "query": f"What is {i} + {i + 1}?",
             "answer": str(2 * i + 1), "question_type": "free_form", "answer_type": "integer",
             "category": "arithmetic" if i % 2 else "counting"} for i in range(count)]  # fmt: skip
    rows.append({"id": "broken", "images": [], "query": "What is 1 + 1?"})  # no answer: invalid, counted
    path = root / "bench.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    return path


def test_evaluate_scores_and_resumes(tmp_path: Path) -> None:
    source = _benchmark(tmp_path)
    with FakeServer(FakeServerConfig(wrong_answer_every=4, latency=0.01)) as server:
        backend = make_backend("openai", "fake", server.url, concurrency=4, max_tokens=512)
        report = evaluate(EvalConfig(source, tmp_path / "run"), backend)
        requests = server.stats()["requests"]
        again = evaluate(EvalConfig(source, tmp_path / "run", resume=True),
                         make_backend("openai", "fake", server.url, concurrency=4, max_tokens=512))  # fmt: skip
        assert server.stats()["requests"] == requests  # resumed: every response came from the store
    assert report.rows == 12 and report.scored == 12 and report.invalid_rows == 1
    assert report.accuracy == 9 / 12  # every 4th question is answered wrong by the server
    assert again.accuracy == report.accuracy
    assert set(report.by_category) == {"arithmetic", "counting"} and report.no_answer_share == 0
    assert report.markers_per_response["wait"] == 1.0
    rows = [json.loads(line) for line in (tmp_path / "run" / "rows.jsonl").read_text().splitlines()]
    assert sum(row["correct"] for row in rows) == 9 and all(row["method"] == "answer_tag" for row in rows)
    table = list(csv.DictReader(io.StringIO((tmp_path / "run" / "results.csv").read_text())))
    assert len(table) == 12 and {"extracted", "normalized", "correct"} <= set(table[0])


def test_mathvista_mapping(tmp_path: Path) -> None:
    (name,) = write_images(tmp_path, 1)
    image = (tmp_path / name).read_bytes()
    row = {"pid": "7", "question": "How many?", "query": "Hint: answer with an integer.\\nQuestion: How many?",
           "decoded_image": {"bytes": image, "path": None}, "image": "images/7.jpg", "answer": "3",
           "question_type": "free_form", "answer_type": "integer", "precision": None, "choices": None,
           "metadata": {"category": "math-targeted-vqa"}}  # fmt: skip
    mapped = map_row(0, row, get_benchmark("mathvista_testmini"), tmp_path)
    assert isinstance(mapped, EvalRow) and mapped.id == "7" and mapped.prompt.startswith("Hint:")
    assert mapped.images[0].read() == image and mapped.item.category == "math-targeted-vqa"
    assert map_row(1, {**row, "answer": ""}, get_benchmark("mathvista_testmini"), tmp_path) == "no answer"
    nan_precision = map_row(2, {**row, "precision": float("nan")}, get_benchmark("mathvista_testmini"), tmp_path)
    assert isinstance(nan_precision, EvalRow) and nan_precision.item.precision is None


def test_eval_and_analyze_cli(tmp_path: Path) -> None:
    source = _benchmark(tmp_path, 8)
    runner = CliRunner()
    with FakeServer(FakeServerConfig(wrong_answer_every=3)) as server:
        result = runner.invoke(app, ["eval", str(source), "--out", str(tmp_path / "run"), "--model", "fake",
                                     "--base-url", server.url, "--max-tokens", "512"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output and (tmp_path / "run" / "summary.json").is_file()
    analyzed = runner.invoke(app, ["analyze", str(tmp_path / "run"), "--out", str(tmp_path / "report")])
    assert analyzed.exit_code == 0, analyzed.output
    assert (tmp_path / "report" / "report.md").is_file()
    assert any(path.suffix == ".png" for path in (tmp_path / "report").iterdir())
