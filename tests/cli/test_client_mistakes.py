"""Bad inputs to the commands that talk to servers (bridge, eval, infer): each fails before any work, loudly and
clearly, or reports a partial run on its first line. Servers are the fake OpenAI server over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.core.resources import sample_problems
from vision_r1_plugins.core.store import count_results
from vision_r1_plugins.testing.fake_server import BAD_REQUEST_MARKER, FakeServer, FakeServerConfig

runner = CliRunner()
DEAD = "http://127.0.0.1:9/v1"
FAST = ("--max-attempts", "2", "--timeout", "10")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer(FakeServerConfig()) as running:
        yield running


def _run(*args: object) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def _fails(result: Result, code: int, *fixes: str) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 5, result.stderr
    message = " ".join(result.stderr.split())
    for fix in fixes:
        assert fix in message, message
    return message


def _arithmetic(tmp_path: Path, count: int, bad: int = 0) -> Path:
    """Problems the fake server solves, over the sample's first image; ``bad`` of them always get a 400."""
    image = str(sample_problems().parent / json.loads(sample_problems().read_text().splitlines()[0])["images"][0])
    rows = [
        {"id": f"q{i}", "images": [image], "problem": f"<image>What is {i} + 3?", "answer": str(i + 3)}
        for i in range(count)
    ]
    rows += [
        {"id": f"bad{i}", "images": [image], "problem": f"<image>What is 1 + 1? {BAD_REQUEST_MARKER}", "answer": "2"}
        for i in range(bad)
    ]
    path = tmp_path / "problems.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _bridge(source: Path, out: Path, url: str, *extra: object) -> Result:
    return _run(
        "bridge",
        source,
        "--out",
        out,
        "--base-url",
        url,
        "--model",
        "fake-mllm",
        "--reasoner-model",
        "fake-reasoner",
        "--min-reasoning-chars",
        "10",
        *FAST,
        *extra,
    )


# Usage mistakes: exit 2 before anything is written --------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "fix"),
    [
        (DEAD, "cannot reach http://127.0.0.1:9/v1"),
        ("127.0.0.1:8000", "write it like http://127.0.0.1:8000/v1"),
        ("ftp://host/v1", "is not an http(s) URL"),
    ],
)
def test_bridge_with_a_wrong_url(tmp_path: Path, url: str, fix: str) -> None:
    out = tmp_path / "out"
    _fails(_bridge(sample_problems(), out, url), 2, fix)
    assert count_results(out / "requests.sqlite") == 0


def test_bridge_without_v1_unknown_model_and_wrong_column(tmp_path: Path, server: FakeServer) -> None:
    source = _arithmetic(tmp_path, 2)
    _fails(_bridge(source, tmp_path / "a", server.url.removesuffix("/v1")), 2, "usually ends in /v1", "try http")
    result = _run("bridge", source, "--out", tmp_path / "b", "--base-url", server.url, "--model", "gpt-4o")
    _fails(result, 2, "does not serve model 'gpt-4o'", "fake-mllm", "--model")
    _fails(
        _bridge(source, tmp_path / "c", server.url, "--question-column", "question"),
        2,
        "no question column 'question'",
        "problem",
        "--question-column",
    )
    _fails(_bridge(source, tmp_path / "d", server.url, "--image-column", "image"), 2, "--image-column")
    assert server.stats()["requests"] == 0  # not one request spent


def test_bridge_missing_input_and_reasoner_on_a_dead_server(tmp_path: Path, server: FakeServer) -> None:
    _fails(_bridge(tmp_path / "nope.jsonl", tmp_path / "a", server.url), 2, "input not found")
    source = _arithmetic(tmp_path, 2)
    _fails(_bridge(source, tmp_path / "b", server.url, "--reasoner-base-url", DEAD), 2, "cannot reach")


def test_infer_and_eval_with_wrong_servers_and_paths(tmp_path: Path, server: FakeServer) -> None:
    _fails(_run("infer", "--backend", "openai", "--base-url", DEAD, "--model", "m", "--prompt", "q"), 2, "cannot reach")
    _fails(
        _run("infer", "--backend", "openai", "--base-url", server.url, "--model", "m", "--prompt", "q"),
        2,
        "does not serve model 'm'",
    )
    _fails(
        _run("infer", "--backend", "transformers", "--model", tmp_path / "no-model", "--prompt", "q"),
        2,
        "does not exist",
    )
    _fails(_run("infer", "--model", "m", "--prompt", "q", "--image", tmp_path / "no.png"), 2, "no.png")
    problems = _arithmetic(tmp_path, 2)
    eval_args = ("--out", tmp_path / "run", "--model", "fake-mllm", "--base-url")
    _fails(_run("eval", problems, *eval_args, DEAD, *FAST), 2, "cannot reach")
    _fails(_run("eval", problems, *eval_args, server.url, "--benchmark", "mathvistaa"), 2, "mathvista")
    _fails(_run("eval", tmp_path / "none.jsonl", *eval_args, server.url), 2, "input not found")
    _fails(
        _run("eval", problems, *eval_args, server.url, "--image-column", "decoded_image"),
        2,
        "no images column 'decoded_image'",
        "--image-column",
    )
    _fails(
        _run("eval", problems, "--out", tmp_path / "r2", "--backend", "transformers", "--model", tmp_path / "no-model"),
        2,
        "does not exist",
    )


# Runs that produced nothing, partial runs, --strict -------------------------------------------------------------
def test_bridge_that_keeps_nothing_exits_1_with_the_first_reasons(tmp_path: Path, server: FakeServer) -> None:
    source = _arithmetic(tmp_path, 0, bad=3)
    message = _fails(_bridge(source, tmp_path / "out", server.url), 1, "no sample was kept out of 3")
    assert "request_failed 3" in message and "HTTP 400" in message and "rejects.jsonl" in message


def test_a_partial_bridge_says_so_first_and_strict_fails_it(tmp_path: Path, server: FakeServer) -> None:
    source = _arithmetic(tmp_path, 3, bad=1)
    result = _bridge(source, tmp_path / "out", server.url)
    assert result.exit_code == 0, result.output
    first = next(line for line in result.stdout.splitlines() if line.strip())
    assert first == f"3 of 4 samples kept; 1 rejected ({tmp_path / 'out' / 'rejects.jsonl'})"
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["kept"] + sum(summary["filtered"].values()) + sum(summary["rejected"].values()) == 4
    strict = _bridge(source, tmp_path / "strict", server.url, "--strict")
    _fails(strict, 1, "--strict: 1 samples rejected", "rejects.jsonl")


def test_eval_partial_and_all_failed(tmp_path: Path, server: FakeServer) -> None:
    problems = _arithmetic(tmp_path, 2, bad=1)
    args = ("--model", "fake-mllm", "--base-url", server.url, *FAST)
    partial = _run("eval", problems, "--out", tmp_path / "run", *args)
    assert partial.exit_code == 0, partial.output
    first = next(line for line in partial.stdout.splitlines() if line.strip())
    assert first.startswith("1 of 3 requests failed (counted wrong; rerun with --resume to retry them)")
    _fails(_run("eval", problems, "--out", tmp_path / "strict", *args, "--strict"), 1, "--strict: 1 failed requests")
    (tmp_path / "all").mkdir()
    failing = _arithmetic(tmp_path / "all", 0, bad=2)
    _fails(
        _run("eval", failing, "--out", tmp_path / "none", *args), 1, "every one of the 2 requests failed", "HTTP 400"
    )
