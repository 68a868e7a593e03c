"""The crash-safe result store: SQLite, committed per result, one run at a time, older JSONL stores imported."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from vision_r1_plugins.core.store import LegacyJsonl, ResultStore, StoreError, StoreKey, read_results


def key(sample: str, stage: str = "caption_cot") -> StoreKey:
    return StoreKey(sample, stage, "v1", "m", "t=0.6")


def legacy_key(parts: list[object]) -> StoreKey:
    return StoreKey(*map(str, parts))


def test_results_are_stored_looked_up_and_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "requests.sqlite"
    with ResultStore(path) as store:
        store.put(key("a"), {"content": "x"})
        store.put(key("a", "description"), {"content": "y", "reasoning": None})
        with pytest.raises(StoreError, match="duplicate"):
            store.put(key("a", "description"), {"content": "z"})
        assert store.get(key("a", "description")) == {"content": "y", "reasoning": None}
        assert store.get(key("b")) is None and len(store) == 2
    with pytest.raises(StoreError, match="--resume"):
        ResultStore(path)
    with ResultStore(path, resume=True) as resumed:
        assert resumed.get(key("a")) == {"content": "x"} and resumed.imported == 0
        resumed.put(key("b"), {"content": "w"})
    assert [(stored.sample, result["content"]) for stored, result in read_results(path)] == [
        ("a", "x"),
        ("a", "y"),
        ("b", "w"),
    ]


def test_outcomes_are_returned_only_for_the_key_they_were_computed_from(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "s.sqlite") as store:
        store.put_outcome("a", "digest-1", {"kind": "kept"})
        assert store.outcome("a", "digest-1") == {"kind": "kept"}
        assert store.outcome("a", "digest-2") is None and store.outcome("b", "digest-1") is None
        store.put_outcome("a", "digest-2", {"kind": "filtered"})
        assert store.outcome("a", "digest-2") == {"kind": "filtered"} and store.outcome("a", "digest-1") is None


def test_first_time_is_per_run(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with ResultStore(path) as store:
        assert store.first_time("a") and store.first_time("b") and not store.first_time("a")
    with ResultStore(path, resume=True) as store:
        assert store.first_time("a")  # a new run: nothing seen yet


def test_an_older_jsonl_store_is_imported_once(tmp_path: Path) -> None:
    old = tmp_path / "requests.jsonl"
    lines = [json.dumps({"key": ["s", str(index), "v1", "m", "t"], "result": {"n": index}}) for index in range(12)]
    old.write_text("\n".join(lines) + '\n{"key": ["s", "cut", "v1"')  # the last line was cut off by a kill
    legacy = LegacyJsonl(old, legacy_key)
    path = tmp_path / "requests.sqlite"
    with pytest.raises(StoreError, match=r"requests\.jsonl already holds results: pass --resume"):
        ResultStore(path, legacy=legacy)
    with ResultStore(path, resume=True, legacy=legacy) as store:
        assert store.imported == 12 and len(store) == 12
        assert store.get(StoreKey("s", "7", "v1", "m", "t")) == {"n": 7}
        store.put(StoreKey("s", "new", "v1", "m", "t"), {"n": 99})
    with ResultStore(path, resume=True, legacy=legacy) as again:  # not imported a second time
        assert again.imported == 0 and len(again) == 13
    assert old.read_text().startswith(lines[0])  # the old file is left as it was


def test_a_corrupt_line_in_an_older_store_is_named_not_skipped(tmp_path: Path) -> None:
    old = tmp_path / "requests.jsonl"
    good = json.dumps({"key": ["a", "caption_cot", "v1", "m", "t"], "result": {"content": "x"}})
    old.write_text(f"{good}\nnot json\n{good.replace('caption_cot', 'description')}\n")
    with pytest.raises(StoreError, match=r"requests\.jsonl:2: not a stored result"):
        ResultStore(tmp_path / "requests.sqlite", resume=True, legacy=LegacyJsonl(old, legacy_key))
    old.write_text(json.dumps({"key": ["too", "short"], "result": {}}) + "\n")

    def strict(parts: list[object]) -> StoreKey:
        if len(parts) != 5:
            raise ValueError(f"expected 5 parts, got {len(parts)}")
        return StoreKey(*map(str, parts))

    with pytest.raises(StoreError, match=r"requests\.jsonl:1: not a key of this store \(expected 5 parts"):
        ResultStore(tmp_path / "other.sqlite", resume=True, legacy=LegacyJsonl(old, strict))


def test_a_file_that_is_not_a_store_is_named(tmp_path: Path) -> None:
    path = tmp_path / "requests.sqlite"
    path.write_text("these are not the results you are looking for\n" * 100)
    with pytest.raises(StoreError, match=r"requests\.sqlite is not a result store"):
        ResultStore(path, resume=True)


def test_one_run_at_a_time_but_readers_are_welcome(tmp_path: Path) -> None:
    path = tmp_path / "requests.sqlite"
    with ResultStore(path) as store:
        store.put(key("a"), {"content": "x"})
        with pytest.raises(StoreError, match="another run is writing to"):
            ResultStore(path, resume=True)
        # Another process (a progress monitor, a test) reads what is committed while the run goes on.
        reader = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM results')"
                ".fetchone()[0])",
                str(path),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert reader.stdout.strip() == "1"
        assert [stored.sample for stored, _ in read_results(path)] == ["a"]
    with ResultStore(path, resume=True) as again:  # the lock went with the run
        assert len(again) == 1


def test_concurrent_writers_from_one_run_cannot_corrupt_it(tmp_path: Path) -> None:
    path = tmp_path / "requests.sqlite"
    store = ResultStore(path)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            for index in range(300):
                store.put(key(f"w{number}-{index}"), {"content": "x" * (index % 50), "writer": number})
                assert store.get(key(f"w{number}-{index}")) is not None
                store.put_outcome(f"w{number}-{index}", "k", {"kind": "kept"})
                store.first_time(f"w{number}-{index}")
        except BaseException as error:  # reported below: a thread's failure must fail the test
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    assert errors == []
    database = sqlite3.connect(path)
    assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert database.execute("SELECT COUNT(*), COUNT(DISTINCT sample) FROM results").fetchone() == (2400, 2400)
    assert database.execute("SELECT COUNT(*) FROM outcomes").fetchone() == (2400,)


WRITER = """
import sys, time
from vision_r1_plugins.core.store import ResultStore, StoreKey
store = ResultStore(sys.argv[1], resume=True)
start = len(store)
print(start, flush=True)
for index in range(start, 1_000_000):
    store.put(StoreKey(f"s{index}", "caption_cot", "v1", "m", "t"), {"content": "x" * 2000, "index": index})
    if index == start + 200:
        print("going", flush=True)
"""


def test_a_killed_writer_loses_nothing_committed_and_resumes_without_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "requests.sqlite"
    counts = []
    for _ in range(3):
        process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
        )
        assert process.stdout is not None
        counts.append(int(process.stdout.readline()))
        assert process.stdout.readline().strip() == "going"
        time.sleep(0.2)
        process.send_signal(signal.SIGKILL)  # mid-commit, most likely: nothing is given time to clean up
        process.wait(timeout=30)
    with ResultStore(path, resume=True) as store:
        total = len(store)
    assert counts[0] == 0 and counts[0] < counts[1] < counts[2] < total
    indices = [result["index"] for _, result in read_results(path)]
    # Every committed result survived each kill, in order, each exactly once: a resume picks up where it stopped.
    assert indices == list(range(total))
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
