"""The bridge on its SQLite store: stored verdicts replayed on resume, an older JSONL store imported, the dataset
streamed out in input order, benchmark rows kept out."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from vision_r1_plugins.bridge import pipeline
from vision_r1_plugins.bridge.filters import FilterConfig
from vision_r1_plugins.bridge.pipeline import BridgeConfig, bridge
from vision_r1_plugins.core.exclusion import OVERLAP_REASON, OverlapMatch
from vision_r1_plugins.core.problems import Problem
from vision_r1_plugins.core.store import StoreError, count_results, read_results
from vision_r1_plugins.generation import BackendConfig, make_backend
from vision_r1_plugins.testing.fake_server import FakeServer, FakeServerConfig

SHORT = FilterConfig(min_reasoning_chars=20)


def _backends(url: str) -> tuple:
    return tuple(
        make_backend(BackendConfig("openai", model, url, concurrency=4)) for model in ("fake-mllm", "fake-reasoner")
    )


def _outputs(out: Path) -> dict[str, object]:
    return {
        "dataset": (out / "vision_r1_bridged.json").read_text(),
        "kept": sorted((out / "kept.jsonl").read_text().splitlines()),
        "filtered": sorted((out / "filtered.jsonl").read_text().splitlines()),
    }


def test_a_resume_replays_stored_verdicts_without_judging_again(
    tmp_path: Path, write_problems, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_problems(tmp_path, 12)
    out = tmp_path / "out"
    with FakeServer(FakeServerConfig(wrong_answer_every=4)) as server:
        first = bridge(BridgeConfig(source, out, filters=SHORT, parquet=True), *_backends(server.url))
        before = _outputs(out)
        asked = server.stats()["requests"]

        def no_judging(*args: object, **kwargs: object) -> None:
            raise AssertionError("a stored verdict was judged again")

        monkeypatch.setattr(pipeline, "score", no_judging)
        again = bridge(BridgeConfig(source, out, resume=True, filters=SHORT), *_backends(server.url))
        assert server.stats()["requests"] == asked  # nothing asked twice
    assert first.filtered and first.kept and (again.kept, again.filtered) == (first.kept, first.filtered)
    assert _outputs(out) == before
    assert again.reasoning_chars == first.reasoning_chars
    assert again.reflection_per_sample == first.reflection_per_sample
    assert all(counter["cached"] == 12 and counter["done"] == 0 for counter in again.requests.values())

    monkeypatch.undo()
    stricter = FilterConfig(min_reasoning_chars=10_000)  # other rules: every verdict is made again
    with FakeServer(FakeServerConfig(wrong_answer_every=4)) as server:
        rejudged = bridge(BridgeConfig(source, out, resume=True, filters=stricter), *_backends(server.url))
        assert server.stats()["requests"] == 0
    assert rejudged.kept == 0 and rejudged.filtered.get("too_short") == first.kept


def test_the_dataset_is_streamed_out_in_input_order(tmp_path: Path, write_problems) -> None:
    source = write_problems(tmp_path, 20)
    out = tmp_path / "out"
    with FakeServer(FakeServerConfig(latency=0.01)) as server:
        report = bridge(BridgeConfig(source, out, filters=SHORT, parquet=True), *_backends(server.url))
    text = (out / "vision_r1_bridged.json").read_text()
    rows = json.loads(text)
    assert len(rows) == report.kept == 20
    assert text.splitlines()[1:-1] == [json.dumps(row, ensure_ascii=False) + "," for row in rows[:-1]] + [
        json.dumps(rows[-1], ensure_ascii=False)
    ]  # one row per line
    kept = [json.loads(line) for line in (out / "kept.jsonl").read_text().splitlines()]
    by_index = [record["row"] for record in sorted(kept, key=lambda record: record["index"])]
    assert rows == by_index
    assert pq.read_table(out / "vision_r1_bridged.parquet").to_pylist() == rows


def test_an_older_jsonl_store_is_imported_on_resume(tmp_path: Path, write_problems) -> None:
    source = write_problems(tmp_path, 6)
    out = tmp_path / "out"
    with FakeServer(FakeServerConfig()) as server:
        first = bridge(BridgeConfig(source, out, filters=SHORT), *_backends(server.url))
        dataset = (out / "vision_r1_bridged.json").read_text()
        # The folder as an older version left it: results in requests.jsonl, no SQLite store.
        lines = [
            json.dumps({"key": list(key), "result": result}) for key, result in read_results(out / "requests.sqlite")
        ]
        for name in ("requests.sqlite", "requests.sqlite-wal", "requests.sqlite-shm", "requests.sqlite.lock"):
            (out / name).unlink(missing_ok=True)
        (out / "requests.jsonl").write_text("\n".join(lines) + "\n")
        asked = server.stats()["requests"]

        with pytest.raises(StoreError, match=r"requests\.jsonl already holds results: pass --resume"):
            bridge(BridgeConfig(source, out, filters=SHORT), *_backends(server.url))
        resumed = bridge(BridgeConfig(source, out, resume=True, filters=SHORT), *_backends(server.url))
        assert server.stats()["requests"] == asked
        again = bridge(BridgeConfig(source, out, resume=True, filters=SHORT), *_backends(server.url))
    assert resumed.imported_results == 18 and again.imported_results == 0
    assert count_results(out / "requests.sqlite") == 18
    assert resumed.kept == first.kept == 6 and (out / "vision_r1_bridged.json").read_text() == dataset


class _ExcludeIds:
    def __init__(self, ids: set[str]) -> None:
        self.ids = ids

    def match_problem(self, problem: Problem) -> OverlapMatch | None:
        if problem.id not in self.ids:
            return None
        return OverlapMatch("mathvista_testmini", f"bench-{problem.id}", "text", 1.0, "same question")


def test_excluded_benchmark_rows_are_filtered_before_any_request(tmp_path: Path, write_problems) -> None:
    source = write_problems(tmp_path, 8)
    out = tmp_path / "out"
    with FakeServer(FakeServerConfig()) as server:
        config = BridgeConfig(source, out, filters=SHORT, exclude=_ExcludeIds({"q1", "q5"}))
        report = bridge(config, *_backends(server.url))
        assert server.stats()["requests"] == 6 * 3
    assert report.input == 8 and report.kept == 6 and report.filtered == {OVERLAP_REASON: 2}
    filtered = [json.loads(line) for line in (out / "filtered.jsonl").read_text().splitlines()]
    assert {record["id"] for record in filtered} == {"q1", "q5"}
    assert all("mathvista_testmini row bench-q" in record["detail"] for record in filtered)


def test_a_bug_in_a_sample_task_surfaces_as_itself(
    tmp_path: Path, write_problems, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom in the judge")

    monkeypatch.setattr(pipeline, "score", broken)
    with FakeServer(FakeServerConfig()) as server, pytest.raises(RuntimeError, match="boom in the judge"):
        bridge(BridgeConfig(write_problems(tmp_path, 3), tmp_path / "out", filters=SHORT), *_backends(server.url))


def test_export_names_a_line_that_is_not_a_kept_sample_and_ignores_a_cut_one(tmp_path: Path) -> None:
    from vision_r1_plugins.bridge.export import export, kept_line
    from vision_r1_plugins.core.errors import RunError

    row = {"messages": [{"role": "user", "content": '<image>Q "quoted" é'}], "images": ["images/a_0.png"]}
    text = json.dumps(row, ensure_ascii=False)
    (tmp_path / "kept.jsonl").write_text(kept_line(2, 'b"2', text) + kept_line(1, "a", text) + '{"index": 3, "id')
    path, count = export(tmp_path, parquet=True)
    assert count == 2 and json.loads(path.read_text()) == [row, row]
    assert pq.read_table(tmp_path / "vision_r1_bridged.parquet").to_pylist() == [row, row]
    (tmp_path / "kept.jsonl").write_text(kept_line(1, "a", text) + '{"id": "x", "row": {}}\n')
    with pytest.raises(RunError, match=r"kept\.jsonl:2: not a kept sample"):
        export(tmp_path)
    (tmp_path / "kept.jsonl").write_text("")
    assert json.loads(export(tmp_path)[0].read_text()) == []
