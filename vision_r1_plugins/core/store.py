"""The crash-safe result store: finished requests in one SQLite file, looked up by key, never all held in memory.

One table keyed by (sample, stage, prompt version, model, sampling key), in WAL mode. Each result is written and
committed as soon as its request returns, so a killed run loses at most the requests in flight; nothing is read
into memory on resume (a lookup is an index search), so memory stays flat however many results the store holds.
Results are JSON text, readable with any SQLite client::

    sqlite3 out/requests.sqlite "SELECT sample, stage, json_extract(result, '$.finish_reason') FROM results"

Beside the results, a store keeps:

- ``outcomes``: a caller's verdict per sample, with the key it was computed from (the bridge's kept/filtered
  verdict), so a resumed run does not judge again what it judged before (:meth:`ResultStore.outcome`);
- ``meta``: which older JSONL store was imported into it (once, on the first resume that finds one);
- a per-run scratch table of the samples seen in this run (:meth:`ResultStore.first_time`), in a temporary file.

One run writes a store at a time: a second process opening the same store gets a :class:`StoreError` saying so
(an advisory lock on ``<store>.lock``). Within a run, any number of threads and tasks may write through the one
store object. Keep the run folder on a local disk: SQLite's WAL mode needs shared memory between the processes
that open the file, which network file systems do not give.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.core.rows import BadRow, read_jsonl

__all__ = ["LegacyJsonl", "ResultStore", "StoreError", "StoreKey", "count_results", "read_results"]

# Imported JSONL results go in per transaction of this many rows: one commit per old line would take minutes on a
# 600,000-line store; one transaction for all would hold them all in the WAL.
_IMPORT_BATCH = 5000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    sample TEXT NOT NULL,
    stage TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    model TEXT NOT NULL,
    sampling TEXT NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (sample, stage, prompt_version, model, sampling)
);
CREATE TABLE IF NOT EXISTS outcomes (
    sample TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class StoreError(UsageError):
    """The output folder holds another run's results, another run is using it, or a result would be stored
    twice."""


class StoreKey(NamedTuple):
    """What makes two requests the same request: another prompt version, model or sampling setting (token limits
    included) is another result."""

    sample: str
    stage: str
    prompt_version: str
    model: str
    sampling: str


@dataclass(frozen=True)
class LegacyJsonl:
    """A JSONL store written by an older version (one ``{"key": [...], "result": {...}}`` line per result) and how
    its key lists map to :class:`StoreKey` (each caller laid its keys out its own way)."""

    path: Path
    to_key: Callable[[list[Any]], StoreKey]


class ResultStore:
    """Finished results by :class:`StoreKey`, in the SQLite file ``path``.

    ``resume=False`` refuses a store that already holds results (the folder belongs to another run);
    ``resume=True`` continues it, first importing ``legacy`` (an older version's JSONL store in the same folder)
    when there is one that was never imported: :attr:`imported` says how many results came from it.

    >>> store = ResultStore(Path("out/requests.sqlite"))  # doctest: +SKIP
    >>> store.put(StoreKey("q1", "caption_cot", "v1", "m", "t=0.7"), {"content": "..."})  # doctest: +SKIP
    """

    def __init__(self, path: str | Path, resume: bool = False, legacy: LegacyJsonl | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.imported = 0
        self._lock = threading.Lock()
        self._run_lock = _lock_run(self.path)
        try:
            self._db = _connect(self.path)
            self._refuse_or_import(resume, legacy)
            # The samples seen in this run only: a temporary table lives in its own file, dropped on close.
            self._db.execute("CREATE TEMP TABLE seen (sample TEXT PRIMARY KEY)")
        except BaseException:
            self._release()
            raise

    # ----------------------------------------------------------------------------------------------------
    def _refuse_or_import(self, resume: bool, legacy: LegacyJsonl | None) -> None:
        pending = legacy is not None and _holds_lines(legacy.path) and self._meta("imported") is None
        if not resume and (self._count() or pending):
            where = self.path if self._count() else legacy.path  # type: ignore[union-attr]
            raise StoreError(
                f"{where} already holds results: pass --resume to continue that run, or choose another output folder"
            )
        if resume and pending:
            assert legacy is not None
            self.imported = self._import(legacy)
        elif self._meta("imported") is None:  # a JSONL file that appears later is not an older store of this one
            with self._db:
                self._db.execute("INSERT INTO meta VALUES ('imported', ?)", (json.dumps({"path": None}),))

    def _import(self, legacy: LegacyJsonl) -> int:
        imported = 0
        batch: list[tuple[str, ...]] = []
        with self._db:  # one transaction per batch; the meta row commits with the last one
            for number, record in read_jsonl(legacy.path, own_file=True):  # a cut-off last line was in flight
                key = record.get("key") if isinstance(record, dict) else None
                if isinstance(record, BadRow) or not isinstance(key, list) or "result" not in record:
                    raise StoreError(f"{legacy.path}:{number}: not a stored result; move the file away to start over")
                try:
                    store_key = legacy.to_key(key)
                except (TypeError, ValueError) as error:
                    raise StoreError(f"{legacy.path}:{number}: not a key of this store ({error})") from error
                batch.append((*store_key, json.dumps(record["result"], ensure_ascii=False)))
                if len(batch) == _IMPORT_BATCH:
                    imported += self._insert_ignoring_duplicates(batch)
                    self._db.commit()
                    batch = []
            imported += self._insert_ignoring_duplicates(batch)
            self._db.execute(
                "INSERT INTO meta VALUES ('imported', ?)",
                (json.dumps({"path": str(legacy.path), "results": imported}),),
            )
        return imported

    def _insert_ignoring_duplicates(self, rows: list[tuple[str, ...]]) -> int:
        # An old store could hold a key twice only if it was written by hand; the first line wins, as it did.
        before = self._db.total_changes
        self._db.executemany("INSERT OR IGNORE INTO results VALUES (?, ?, ?, ?, ?, ?)", rows)
        return self._db.total_changes - before

    def _meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else row[0]

    def _count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    # ----------------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        with self._lock:
            return self._count()

    def get(self, key: StoreKey | tuple[str, ...]) -> dict[str, Any] | None:
        """The stored result for ``key``, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT result FROM results WHERE sample = ? AND stage = ? AND prompt_version = ? AND model = ? "
                "AND sampling = ?",
                tuple(key),
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, key: StoreKey | tuple[str, ...], result: dict[str, Any]) -> None:
        """Store and commit ``result``; a key already stored is a :class:`StoreError` (a result is never
        replaced)."""
        text = json.dumps(result, ensure_ascii=False)
        with self._lock:
            try:
                with self._db:
                    self._db.execute("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?)", (*key, text))
            except sqlite3.IntegrityError as error:
                raise StoreError(f"duplicate result for {tuple(key)}") from error

    def outcome(self, sample: str, key: str) -> dict[str, Any] | None:
        """The verdict stored for ``sample`` if it was computed from ``key`` (the caller's digest of everything the
        verdict depends on); None when there is none or it was computed from something else."""
        with self._lock:
            row = self._db.execute("SELECT key, outcome FROM outcomes WHERE sample = ?", (sample,)).fetchone()
        return json.loads(row[1]) if row is not None and row[0] == key else None

    def put_outcome(self, sample: str, key: str, outcome: dict[str, Any]) -> None:
        """Store (or replace) the verdict for ``sample``, computed from ``key``."""
        text = json.dumps(outcome, ensure_ascii=False)
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO outcomes VALUES (?, ?, ?)", (sample, key, text))

    def first_time(self, sample: str) -> bool:
        """True the first time this run asks about ``sample``; False after (a duplicate id in the input)."""
        with self._lock:
            try:
                self._db.execute("INSERT INTO temp.seen VALUES (?)", (sample,))
            except sqlite3.IntegrityError:
                return False
        return True  # left uncommitted on purpose: the scratch table is this connection's and temporary

    def items(self) -> Iterator[tuple[StoreKey, dict[str, Any]]]:
        """Every stored result in the order it was stored, streamed."""
        yield from read_results(self.path)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.commit()
                self._db.close()
                self._db = None  # type: ignore[assignment]
        self._release()

    def _release(self) -> None:
        if self._run_lock is not None:
            os.close(self._run_lock)
            self._run_lock = None  # type: ignore[assignment]

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_results(path: str | Path) -> Iterator[tuple[StoreKey, dict[str, Any]]]:
    """Every result in the store file ``path``, in the order it was stored, streamed; safe while a run writes it
    (a read-only connection sees the last commit)."""
    source = Path(path)
    if not source.is_file():
        raise StoreError(f"no result store at {source}")
    db = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        cursor = db.execute("SELECT sample, stage, prompt_version, model, sampling, result FROM results ORDER BY rowid")
        for *key, result in cursor:
            yield StoreKey(*key), json.loads(result)
    finally:
        db.close()


def count_results(path: str | Path) -> int:
    """How many results the store file ``path`` holds (0 when there is none yet); safe while a run writes it."""
    source = Path(path)
    if not source.is_file():
        return 0
    db = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    except sqlite3.OperationalError:  # created, schema not written yet
        return 0
    finally:
        db.close()


def _connect(path: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level="DEFERRED")
        db.execute("PRAGMA journal_mode=WAL")
        # In WAL mode a commit survives a killed process without an fsync per commit; only a power cut can lose
        # the last commits, which a resume then repeats.
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA temp_store=FILE")
        db.executescript(_SCHEMA)
    except sqlite3.DatabaseError as error:
        raise StoreError(f"{path} is not a result store ({error}); move it away to start over") from error
    return db


def _lock_run(path: Path) -> int:
    handle = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        raise StoreError(
            f"another run is writing to {path.parent} (it holds {path.name}): wait for it, or choose another "
            "output folder"
        ) from None
    return handle


def _holds_lines(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0
