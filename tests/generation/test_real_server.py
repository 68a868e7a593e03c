"""bridge, eval and infer against a real OpenAI-compatible server: ``transformers serve`` on CPU with the tiny
model, started as its own process, SIGKILLed mid-run and brought back, then ``--resume``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from vision_r1_plugins.core.resources import sample_problems
from vision_r1_plugins.core.store import read_results
from vision_r1_plugins.testing.processes import wait_for_results
from vision_r1_plugins.testing.real_server import TransformersServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TransformersServer]:
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with TransformersServer(tiny_model_dir, log=log) as running:
        yield running


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vision_r1_plugins.cli", *args], capture_output=True, text=True, timeout=timeout
    )


def _keys(store: Path) -> list[tuple]:
    return [tuple(key) for key, _ in read_results(store)]


def test_infer_streams_from_the_real_server(server: TransformersServer, tiny_model_dir: Path) -> None:
    done = cli(
        "infer",
        "--backend",
        "openai",
        "--base-url",
        server.url,
        "--model",
        str(tiny_model_dir),
        "--prompt",
        "What is 1 + 1?",
        "--max-tokens",
        "12",
        "--temperature",
        "0",
    )
    assert done.returncode == 0, done.stderr
    assert "answer" in done.stdout and "truncated at --max-tokens 12" in done.stdout  # a random model never stops


def test_bridge_killed_server_resume_loses_and_repeats_nothing(
    server: TransformersServer, tiny_model_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "bridge"
    model = str(tiny_model_dir)
    command = [
        sys.executable,
        "-m",
        "vision_r1_plugins.cli",
        "bridge",
        str(sample_problems()),
        "--out",
        str(out),
        "--base-url",
        server.url,
        "--model",
        model,
        "--max-tokens",
        "24",
        "--reasoner-max-tokens",
        "24",
        "--concurrency",
        "2",
        "--max-attempts",
        "2",
        "--timeout",
        "30",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_results(out / "requests.sqlite", 8, process, timeout=90)
    server.kill()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1 and "Traceback" not in stderr
    assert "requests in a row failed" in stderr and "--resume" in stderr
    saved = _keys(out / "requests.sqlite")
    assert 8 <= len(saved) < 36

    server.start()
    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=120)
    # The random model's captions all hit the token limit: nothing is kept, which is a failed run (exit 1) that
    # says why, and every sample is accounted for.
    assert resumed.returncode == 1 and "no sample was kept out of 36: truncated 36" in resumed.stderr
    summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else None
    keys = _keys(out / "requests.sqlite")
    assert len(keys) == len(set(keys)) == 36  # one caption per sample, none lost, none twice
    assert set(saved) <= set(keys)
    filtered = (out / "filtered.jsonl").read_text().splitlines()
    assert len(filtered) == 36 and not (out / "rejects.jsonl").read_text().strip()
    if summary is not None:
        assert summary["requests"]["caption_cot"]["cached"] == len(saved)


def test_eval_killed_server_resume_loses_and_repeats_nothing(
    server: TransformersServer, tiny_model_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "eval"
    command = [
        sys.executable,
        "-m",
        "vision_r1_plugins.cli",
        "eval",
        str(sample_problems()),
        "--out",
        str(out),
        "--base-url",
        server.url,
        "--model",
        str(tiny_model_dir),
        "--max-tokens",
        "24",
        "--concurrency",
        "2",
        "--max-attempts",
        "2",
        "--timeout",
        "30",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_results(out / "responses.sqlite", 8, process, timeout=90)
    server.kill()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1 and "Traceback" not in stderr and "--resume" in stderr
    saved = _keys(out / "responses.sqlite")

    server.start()
    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    keys = _keys(out / "responses.sqlite")
    assert len(keys) == len(set(keys)) == 36 and set(saved) <= set(keys)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rows"] == 36 and summary["scored"] == 36 and summary["failed"] == 0
    rows = [json.loads(line) for line in (out / "rows.jsonl").read_text().splitlines()]
    assert len(rows) == 36 and all(row["hit_max_tokens"] for row in rows)
