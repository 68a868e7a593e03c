"""The bridge when servers go away, settings change between runs, and MLLM replies are cut off."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from vision_r1_plugins.bridge.pipeline import BridgeConfig, bridge
from vision_r1_plugins.core.errors import RunError
from vision_r1_plugins.core.store import read_results
from vision_r1_plugins.generation import BackendConfig, RetryPolicy, Sampling, make_backend
from vision_r1_plugins.testing.fake_server import FakeServer, FakeServerConfig


def _backends(url: str | tuple[str, ...], mllm_tokens: int = 2048, concurrency: int = 4) -> tuple:
    def make(model: str, tokens: int):
        retry = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)
        return make_backend(
            BackendConfig(
                "openai",
                model,
                url,
                sampling=Sampling(max_tokens=tokens),
                concurrency=concurrency,
                timeout=2.0,
                give_up_after=4,
                retry=retry,
            )
        )

    return make("fake-mllm", mllm_tokens), make("fake-reasoner", 4096)


def _keys(out: Path) -> list[tuple]:
    return [tuple(key) for key, _ in read_results(out / "requests.sqlite")]


def test_a_server_that_goes_away_stops_the_run_and_resume_finishes_it(tmp_path: Path, write_problems) -> None:
    source = write_problems(tmp_path, 30)
    out = tmp_path / "out"
    server = FakeServer(FakeServerConfig(latency=0.05)).start()
    port = server.port

    def stop_after_some_answers() -> None:
        while server.stats()["successes"] < 20:
            time.sleep(0.01)
        server.stop()

    stopper = threading.Thread(target=stop_after_some_answers)
    stopper.start()
    with pytest.raises(RunError, match=r"stopped after \d+ of \d+ samples read: 4 requests in a row failed .*--resume"):
        bridge(BridgeConfig(source, out, filters=_short()), *_backends(server.url))
    stopper.join()
    saved = len(_keys(out))
    assert 20 <= saved < 90
    rejected = (out / "rejects.jsonl").read_text().splitlines()
    assert len(rejected) <= 8  # the requests in flight when it went away, not the rest of the input

    with FakeServer(FakeServerConfig(), port=port) as again:
        report = bridge(BridgeConfig(source, out, resume=True, filters=_short()), *_backends(again.url))
    assert report.input == 30 and report.kept + sum(report.filtered.values()) + sum(report.rejected.values()) == 30
    assert report.rejected == {} and report.kept == 30
    keys = _keys(out)
    assert len(keys) == len(set(keys)) == 90
    assert sum(counter["cached"] for counter in report.requests.values()) == saved


def test_other_token_limits_are_other_results(tmp_path: Path, write_problems) -> None:
    """A resume after raising --max-tokens must not reuse the replies of the lower limit."""
    source = write_problems(tmp_path, 4)
    out = tmp_path / "out"
    with FakeServer(FakeServerConfig()) as server:
        first = bridge(BridgeConfig(source, out, filters=_short()), *_backends(server.url, mllm_tokens=2048))
        again = bridge(BridgeConfig(source, out, resume=True, filters=_short()), *_backends(server.url, 4096))
    assert first.kept == again.kept == 4
    assert again.requests["caption_cot"] == {"done": 4, "cached": 0, "in_flight": 0, "retried": 0, "failed": 0}
    assert again.requests["reasoning"]["cached"] == 4  # its own settings did not change


def test_a_cut_off_mllm_reply_filters_the_sample(tmp_path: Path, write_problems) -> None:
    source = write_problems(tmp_path, 3)
    with FakeServer(FakeServerConfig()) as server:
        report = bridge(BridgeConfig(source, tmp_path / "out", filters=_short()), *_backends(server.url, 3))
    assert report.filtered == {"truncated": 3} and report.kept == 0
    assert report.requests["description"]["done"] == 0  # nothing is built on a cut-off caption
    record = json.loads((tmp_path / "out" / "filtered.jsonl").read_text().splitlines()[0])
    assert "caption_cot reply hit its token limit" in record["detail"]


def test_two_replicas_share_the_work(tmp_path: Path, write_problems) -> None:
    source = write_problems(tmp_path, 12)
    with FakeServer(FakeServerConfig(latency=0.02)) as a, FakeServer(FakeServerConfig(latency=0.02)) as b:
        report = bridge(BridgeConfig(source, tmp_path / "out", filters=_short()), *_backends((a.url, b.url), 2048, 2))
        served = (a.stats()["successes"], b.stats()["successes"])
    assert report.kept == 12 and sum(served) == 36
    assert min(served) >= 12  # both took a real share


def _short():
    from vision_r1_plugins.bridge.filters import FilterConfig

    return FilterConfig(min_reasoning_chars=10)
