"""The bridge against a real HTTP server speaking the OpenAI protocol, with injected faults."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vision_r1_plugins.bridge.pipeline import BridgeConfig, bridge
from vision_r1_plugins.core.store import count_results, read_results
from vision_r1_plugins.generation import BackendConfig, RetryPolicy, make_backend
from vision_r1_plugins.testing.fake_server import FakeServer, FakeServerConfig


def _backends(server: FakeServer, concurrency: int = 8, timeout: float = 2.0) -> tuple:
    def make(model: str):
        retry = RetryPolicy(max_attempts=4, base_delay=0.01)
        return make_backend(
            BackendConfig("openai", model, server.url, concurrency=concurrency, timeout=timeout, retry=retry)
        )

    return make("fake-mllm"), make("fake-reasoner")


def _store_keys(out: Path) -> list[tuple]:
    return [tuple(key) for key, _ in read_results(out / "requests.sqlite")]


@pytest.mark.slow
def test_faults_are_retried_and_every_row_is_accounted_for(
    tmp_path: Path, tiny_model_dir: Path, write_problems
) -> None:
    bad_rows = [
        {"id": "no-image", "images": ["imgs/missing.png"], "problem": "What is 1 + 1?", "answer": "2"},
        {"id": "empty", "images": ["imgs/img_00000.png"], "problem": "<image>  ", "answer": "2"},
        {"id": "q3", "images": ["imgs/img_00000.png"], "problem": "What is 3 + 6?", "answer": "9"},  # duplicate id
        {"id": "refuse", "images": ["imgs/img_00001.png"], "problem": "<image>Which shape is larger?", "answer": "A"},
    ]
    source = write_problems(tmp_path, 24, bad_rows)
    config = FakeServerConfig(latency=0.02, fault_rate=0.4, wrong_answer_every=6, slow_seconds=5, seed=3)
    with FakeServer(config) as server:
        report = bridge(BridgeConfig(source, tmp_path / "out"), *_backends(server, timeout=1.0))
        stats = server.stats()
    assert report.input == 28
    assert report.kept + sum(report.filtered.values()) + sum(report.rejected.values()) == 28
    assert report.rejected == {"missing_image": 1, "empty_question": 1, "duplicate_id": 1}
    assert report.filtered["answer_mismatch"] == 4  # every 6th question is answered wrong by the server
    assert report.filtered["no_answer"] == 1  # the fake reasoner gives up on a question without arithmetic
    assert report.kept == 20
    retried = sum(counter["retried"] for counter in report.requests.values())
    assert stats["faults_total"] > 10 and retried == stats["faults_total"]
    assert all(counter["failed"] == 0 for counter in report.requests.values())
    keys = _store_keys(tmp_path / "out")
    assert len(keys) == len(set(keys)) == 3 * 25  # three stages for each valid sample, once each
    rows = json.loads(report.dataset_path.read_text())
    assert len(rows) == 20 and rows[0]["messages"][0]["content"].startswith("<image>")
    assert (
        "the image" in rows[0]["messages"][1]["content"] and "the description" not in rows[0]["messages"][1]["content"]
    )
    assert all((tmp_path / "out" / row["images"][0]).is_file() for row in rows)
    summary = json.loads(report.summary_path.read_text())
    assert summary["kept"] == 20 and summary["reflection_per_sample"]["wait"] >= 1

    # The export is a registered LLaMA-Factory dataset that its own loader and preprocessing accept.
    from llamafactory.train.test_utils import load_dataset_module

    module = load_dataset_module(
        model_name_or_path=str(tiny_model_dir),
        stage="sft",
        do_train=True,
        finetuning_type="full",
        dataset="vision_r1_bridged",
        dataset_dir=str(tmp_path / "out"),
        template="qwen2_vl",
        cutoff_len=1024,
        overwrite_cache=True,
        output_dir=str(tmp_path / "lf"),
        report_to="none",
    )
    assert len(module["train_dataset"]) == 20


def test_bad_requests_are_not_retried(tmp_path: Path, write_problems) -> None:
    rows = [
        {"id": "x", "images": ["imgs/img_00000.png"], "problem": "<image>What is 1 + 2? [[bad-request]]", "answer": "3"}
    ]
    source = write_problems(tmp_path, 2, rows)
    with FakeServer(FakeServerConfig()) as server:
        report = bridge(BridgeConfig(source, tmp_path / "out"), *_backends(server))
        stats = server.stats()
    assert report.rejected == {"request_failed": 1} and report.kept == 2
    assert report.requests["caption_cot"]["failed"] == 1 and report.requests["caption_cot"]["retried"] == 0
    assert stats["bad_requests"] == 1
    reject = json.loads((tmp_path / "out" / "rejects.jsonl").read_text().splitlines()[0])
    assert reject["reason"] == "request_failed:caption_cot" and "HTTP 400" in reject["detail"]


@pytest.mark.slow
def test_resume_after_sigkill_redoes_nothing_and_loses_nothing(tmp_path: Path, write_problems) -> None:
    source = write_problems(tmp_path, 40)
    out = tmp_path / "out"
    concurrency = 4
    command = [
        sys.executable,
        "-m",
        "vision_r1_plugins.cli",
        "bridge",
        str(source),
        "--out",
        str(out),
        "--model",
        "fake-mllm",
        "--reasoner-model",
        "fake-reasoner",
        "--concurrency",
        str(concurrency),
        "--timeout",
        "5",
        "--min-reasoning-chars",
        "10",
    ]
    with FakeServer(FakeServerConfig(latency=0.15)) as server:
        command[command.index("--model") : command.index("--model")] = ["--base-url", server.url]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ))
        store = out / "requests.sqlite"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and count_results(store) < 30:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        done_before = len(_store_keys(out))
        assert 30 <= done_before < 120, "the kill must land mid-run"

        resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        first_run_refusal = subprocess.run(command, capture_output=True, text=True, timeout=60)
        stats = server.stats()
    keys = _store_keys(out)
    assert len(keys) == len(set(keys)) == 120  # every request exactly once in the store, none duplicated
    # Finished requests were not redone: beyond the stored ones the server only answered what was in flight.
    assert stats["successes"] - len(keys) <= concurrency
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"] == 40 and summary["kept"] + sum(summary["filtered"].values()) == 40
    cached = sum(counter["cached"] for counter in summary["requests"].values())
    assert cached == done_before
    assert len(json.loads((out / "vision_r1_bridged.json").read_text())) == summary["kept"]
    # Without --resume an existing run is never overwritten.
    assert first_run_refusal.returncode == 2 and "--resume" in first_run_refusal.stderr
    assert "Traceback" not in first_run_refusal.stderr


@pytest.mark.parametrize("reasoning_field", [True, False])
def test_reasoning_inline_or_separate(tmp_path: Path, reasoning_field: bool, write_problems) -> None:
    source = write_problems(tmp_path, 3)
    with FakeServer(FakeServerConfig(reasoning_field=reasoning_field)) as server:
        report = bridge(BridgeConfig(source, tmp_path / "out"), *_backends(server))
    assert report.kept == 3
    response = json.loads(report.dataset_path.read_text())[0]["messages"][1]["content"]
    assert response.startswith("<think>\n") and response.count("<think>") == 1
    assert response.endswith("<answer> Final Answer: 3 </answer>")
