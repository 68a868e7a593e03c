"""``vision-r1 eval`` end to end against a real HTTP OpenAI-compatible server."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.core.problems import Rejection
from vision_r1_plugins.eval.row_record import read_records
from vision_r1_plugins.eval.runner import EvalConfig, evaluate, read_benchmark
from vision_r1_plugins.eval.tasks import get_benchmark
from vision_r1_plugins.generation import BackendConfig, Sampling, make_backend
from vision_r1_plugins.testing.fake_server import BAD_REQUEST_MARKER, FakeServer, FakeServerConfig
from vision_r1_plugins.testing.synthetic import write_images


def _backend(url: str) -> object:
    return make_backend(BackendConfig("openai", "fake-mllm", url, sampling=Sampling(max_tokens=512), concurrency=4))


def _benchmark(root: Path, count: int = 12) -> Path:
    names = write_images(root / "imgs", 3)
    rows = [
        {
            "id": f"q{i}",
            "images": [f"imgs/{names[i % 3]}"],
            "query": f"What is {i} + {i + 1}?",
            "answer": str(2 * i + 1),
            "question_type": "free_form",
            "answer_type": "integer",
            "category": "arithmetic" if i % 2 else "counting",
        }
        for i in range(count)
    ]
    rows.append({"id": "broken", "images": [], "query": "What is 1 + 1?"})  # no answer: invalid, counted
    path = root / "bench.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    return path


def test_evaluate_scores_and_resumes(tmp_path: Path) -> None:
    source = _benchmark(tmp_path)
    with FakeServer(FakeServerConfig(wrong_answer_every=4, latency=0.01)) as server:
        report = evaluate(EvalConfig(source, tmp_path / "run"), _backend(server.url))  # type: ignore[arg-type]
        requests = server.stats()["requests"]
        again = evaluate(EvalConfig(source, tmp_path / "run", resume=True), _backend(server.url))  # type: ignore[arg-type]
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


def test_an_older_responses_jsonl_store_is_imported_and_responses_jsonl_still_written(tmp_path: Path) -> None:
    source = _benchmark(tmp_path)
    run = tmp_path / "run"
    with FakeServer(FakeServerConfig(latency=0.01)) as server:
        argv = ["eval", str(source), "--out", str(run), "--base-url", server.url, "--model", "fake-mllm"]
        first = CliRunner().invoke(app, argv)
        assert first.exit_code == 0, first.output
        lines = (run / "responses.jsonl").read_text().splitlines()
        keys = [json.loads(line)["key"] for line in lines]
        # The run's responses.jsonl keeps the layout `eval score --responses` and older versions read.
        assert len(keys) == 12 and all(key[1] == "eval" and key[3] == "fake-mllm" for key in keys)
        accuracy = json.loads((run / "summary.json").read_text())["accuracy"]
        for name in ("responses.sqlite", "responses.sqlite-wal", "responses.sqlite-shm"):
            (run / name).unlink(missing_ok=True)  # the folder as an older version left it
        asked = server.stats()["requests"]
        result = CliRunner().invoke(app, [*argv, "--resume"])
        assert result.exit_code == 0, result.output
        assert server.stats()["requests"] == asked  # every response came from the imported store
    assert "importing the responses an older version stored" in " ".join(result.output.split())
    assert sorted((run / "responses.jsonl").read_text().splitlines()) == sorted(lines)
    assert json.loads((run / "summary.json").read_text())["accuracy"] == accuracy


def test_mathvista_mapping(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    (name,) = write_images(tmp_path, 1)
    image = (tmp_path / name).read_bytes()
    row = {
        "pid": "7",
        "question": "How many?",
        "query": "Hint: answer with an integer.\\nQuestion: How many?",
        "decoded_image": {"bytes": image, "path": None},
        "image": "images/7.jpg",
        "answer": "3",
        "question_type": "free_form",
        "answer_type": "integer",
        "precision": None,
        "choices": None,
        "metadata": {"category": "math-targeted-vqa"},
    }
    rows = [row, {**row, "pid": "8", "answer": ""}, {**row, "pid": "9", "precision": float("nan")}]
    source = tmp_path / "testmini.parquet"  # as released: the decoded image is bytes in the parquet
    pq.write_table(pa.Table.from_pylist(rows), source)
    mapped, invalid = read_benchmark(source, get_benchmark("mathvista_testmini"))
    assert [item.id for item in mapped] == ["7", "9"] and mapped[0].problem.question.startswith("Hint:")
    assert mapped[0].problem.images[0].read() == image and mapped[0].item.category == "math-targeted-vqa"
    assert mapped[0].item.answer_type == "integer" and mapped[1].item.precision is None
    assert [(item.id, item.reason) for item in invalid] == [("8", "missing_answer")]
    assert isinstance(invalid[0], Rejection)


def test_a_failed_request_is_recorded_and_analysis_still_runs(tmp_path: Path) -> None:
    source = _benchmark(tmp_path, 4)
    rows = [json.loads(line) for line in source.read_text().splitlines()]
    rows[1]["query"] += " " + BAD_REQUEST_MARKER  # the server answers 400: a request that cannot succeed
    source.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    runner = CliRunner()
    with FakeServer() as server:
        result = runner.invoke(
            app, ["eval", str(source), "--out", str(tmp_path / "run"), "--model", "fake-mllm", "--base-url", server.url]
        )
    assert result.exit_code == 0, result.output
    records = read_records(tmp_path / "run" / "rows.jsonl")
    assert [record.id for record in records if not record.scored] == ["q1"]
    assert "HTTP 400" in (records[1].failed or "")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    # The failed row stays in the denominator: 3 right of 4 rows.
    assert (summary["rows"], summary["scored"], summary["failed"], summary["accuracy"]) == (4, 3, 1, 0.75)
    analyzed = runner.invoke(app, ["analyze", str(tmp_path / "run"), "--out", str(tmp_path / "report")])
    assert analyzed.exit_code == 0, analyzed.output
    report = (tmp_path / "report" / "report.md").read_text()
    assert "Rows whose request failed or had no response (wrong in the accuracy below" in report
    assert "| run | 4 | 75.0% |" in report


def test_eval_and_analyze_cli(tmp_path: Path) -> None:
    source = _benchmark(tmp_path, 8)
    runner = CliRunner()
    with FakeServer(FakeServerConfig(wrong_answer_every=3)) as server:
        result = runner.invoke(
            app,
            [
                "eval",
                str(source),
                "--out",
                str(tmp_path / "run"),
                "--model",
                "fake-mllm",
                "--base-url",
                server.url,
                "--max-tokens",
                "512",
            ],
        )
    assert result.exit_code == 0, result.output
    # Every third distinct question is answered wrong: 6 of 8 right, in the table title and the summary.
    assert "official 75.0%, strict 75.0% on all 8 rows" in " ".join(result.output.split())
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["accuracy"] == 0.75
    analyzed = runner.invoke(app, ["analyze", str(tmp_path / "run"), "--out", str(tmp_path / "report")])
    assert analyzed.exit_code == 0, analyzed.output
    assert (tmp_path / "report" / "report.md").is_file()
    assert any(path.suffix == ".png" for path in (tmp_path / "report").iterdir())
