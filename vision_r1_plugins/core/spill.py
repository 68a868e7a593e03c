"""Numbers kept on disk, not in memory: what a run collects per row (input positions, lengths) and needs sorted at
the end, in a private temporary SQLite file whose page cache is bounded, so memory does not grow with the rows.

>>> with Spill() as lengths:
...     lengths.add_many((7, 0, 0) for _ in range(3))
...     lengths.add(2, 0, 0)
...     lengths.median()
7.0
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator

__all__ = ["Spill"]


class Spill:
    """Rows of three integers (a sort key and two values), appended, then read back sorted by key."""

    def __init__(self) -> None:
        # "": a temporary database on disk, deleted when closed (memory holds only the page cache).
        self._db = sqlite3.connect("")
        self._db.execute("CREATE TABLE rows (key INTEGER NOT NULL, a INTEGER NOT NULL, b INTEGER NOT NULL)")
        self.count = 0

    def add(self, key: int, a: int, b: int) -> None:
        self._db.execute("INSERT INTO rows VALUES (?, ?, ?)", (key, a, b))
        self.count += 1

    def add_many(self, rows: Iterable[tuple[int, int, int]]) -> None:
        before = self._db.total_changes
        self._db.executemany("INSERT INTO rows VALUES (?, ?, ?)", rows)
        self.count += self._db.total_changes - before

    def sorted(self) -> Iterator[tuple[int, int, int]]:
        """Every row, by key (rows with equal keys in the order they were added), streamed."""
        yield from self._db.execute("SELECT key, a, b FROM rows ORDER BY key, rowid")

    def median(self) -> float:
        """The median of the keys (0.0 when there are none), as :func:`statistics.median` computes it."""
        if not self.count:
            return 0.0
        middle = self._db.execute(
            "SELECT key FROM rows ORDER BY key LIMIT ? OFFSET ?", (2 - self.count % 2, (self.count - 1) // 2)
        ).fetchall()
        return sum(value for (value,) in middle) / len(middle)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
