"""Append-only JSONL store of finished stage results, keyed by (sample id, stage, prompt version, model).

Each result is one line, written and flushed as soon as the request returns, so a killed run loses at most the
requests in flight. On resume a line cut off by the kill is truncated away before appending, which keeps the
file valid JSONL with exactly one line per key. The file is read by :func:`~vision_r1_plugins.core.rows.read_jsonl`
as one of the project's own files; any other line that is not a result makes the store unusable as a whole
(:class:`StoreError` naming the line), since a result cannot be half trusted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.core.rows import BadRow, drop_partial_line, read_jsonl

Key = tuple[str, str, str, str]


class StoreError(UsageError):
    """The output folder holds another run's results, or a result would be stored twice."""


class ResultStore:
    def __init__(self, path: str | Path, resume: bool = False) -> None:
        self.path = Path(path)
        self._results: dict[Key, dict[str, Any]] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() and self.path.stat().st_size and not resume:
            raise StoreError(
                f"{self.path} already holds results: pass --resume to continue that run, "
                "or choose another output folder"
            )
        if resume and self.path.exists():
            self._load()
        self._handle = self.path.open("a", encoding="utf-8")

    def _load(self) -> None:
        drop_partial_line(self.path)  # the last line was cut off mid-write by a kill
        for number, record in read_jsonl(self.path, own_file=True):
            if isinstance(record, BadRow) or not isinstance(record.get("key"), list) or "result" not in record:
                raise StoreError(f"{self.path}:{number}: not a stored result; move the file away to start over")
            self._results[tuple(record["key"])] = record["result"]  # type: ignore[index]

    def __len__(self) -> int:
        return len(self._results)

    def get(self, key: Key) -> dict[str, Any] | None:
        return self._results.get(key)

    def put(self, key: Key, result: dict[str, Any]) -> None:
        if key in self._results:
            raise StoreError(f"duplicate result for {key}")
        self._results[key] = result
        self._handle.write(json.dumps({"key": list(key), "result": result}, ensure_ascii=False) + "\n")
        self._handle.flush()

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.close()
