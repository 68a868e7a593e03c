"""The record of one evaluated benchmark row (a line of a run's ``rows.jsonl``): one writer, one reader.

Every row of the benchmark gets a record. ``correct`` is the verdict of the run's protocol (official by
default); ``correct_official`` and ``correct_strict`` hold both. A row whose request failed carries ``failed``
(the error), a row with no response in the scored file carries ``missing``: both count as wrong in every
accuracy (the denominator is always all rows) and are reported apart.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.core.files import write_text_atomically
from vision_r1_plugins.core.rows import BadRow, read_jsonl

ROWS_FILE = "rows.jsonl"
REQUIRED = ("id", "correct", "response_tokens")


@dataclass(frozen=True)
class EvalRecord:
    id: str
    correct: bool
    response_tokens: int
    category: str | None = None
    question_type: str | None = None
    answer_type: str | None = None
    answer: str | None = None
    extracted: str | None = None
    normalized: str | None = None
    method: str | None = None
    hit_max_tokens: bool = False
    markers: dict[str, int] = field(default_factory=dict)
    response: str | None = None
    failed: str | None = None  # the request's error; the row was not scored
    missing: bool = False  # the responses file had no response for this row
    correct_official: bool | None = None
    correct_strict: bool | None = None
    breakdown: dict[str, str] = field(default_factory=dict)
    group: str | None = None

    @property
    def scored(self) -> bool:
        """Whether a response was scored (not a failed request, not a missing response)."""
        return self.failed is None and not self.missing

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_FIELDS = {item.name for item in dataclasses.fields(EvalRecord)}


class RecordError(UsageError):
    """A rows.jsonl line that is not an evaluation record."""


def record_problem(row: Any) -> str | None:
    """Why ``row`` (a parsed JSON line) is not a record, or None."""
    if not isinstance(row, dict):
        return f"expected a JSON object, got {type(row).__name__}"
    if row.get("failed") is not None:
        return None if isinstance(row.get("id"), str) else "a failed row needs a string 'id'"
    missing = [key for key in REQUIRED if key not in row]
    if missing:
        return f"missing {', '.join(missing)}"
    if not isinstance(row["correct"], bool):
        return f"'correct' must be true/false, got {row['correct']!r}"
    tokens = row["response_tokens"]
    # bool is an int subclass; a true/false length means the writer mixed up fields.
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0:
        return f"'response_tokens' must be a non-negative integer, got {tokens!r}"
    if not isinstance(row.get("hit_max_tokens", False), bool):
        return f"'hit_max_tokens' must be true/false, got {row['hit_max_tokens']!r}"
    for key in ("category", "extracted"):
        if row.get(key) is not None and not isinstance(row[key], str):
            return f"'{key}' must be a string or null, got {row[key]!r}"
    markers = row.get("markers")
    if markers is not None and (
        not isinstance(markers, dict)
        or not all(isinstance(count, int) and not isinstance(count, bool) for count in markers.values())
    ):
        return f"'markers' must map marker names to integer counts, got {markers!r}"
    return None


def from_dict(row: dict[str, Any]) -> EvalRecord:
    values = {key: value for key, value in row.items() if key in _FIELDS}
    values["id"] = str(values["id"])
    values.setdefault("correct", False)
    values.setdefault("response_tokens", 0)
    values["markers"] = dict(values.get("markers") or {})
    values["breakdown"] = dict(values.get("breakdown") or {})
    return EvalRecord(**values)


def write_records(path: str | Path, records: Iterable[EvalRecord]) -> Path:
    lines = (json.dumps(record.to_dict(), ensure_ascii=False) + "\n" for record in records)
    return write_text_atomically(path, "".join(lines))


def read_records(path: str | Path) -> list[EvalRecord]:
    """Every record of ``path`` (read by :func:`~vision_r1_plugins.core.rows.read_jsonl`); a run folder whose
    ``rows.jsonl`` has a line that is not a record is unusable as a whole: :class:`RecordError` names the line."""
    source = Path(path)
    records = []
    for number, row in read_jsonl(source):
        if isinstance(row, BadRow):
            raise RecordError(f"{source}:{number}: {row.detail}")
        problem = record_problem(row)
        if problem:
            raise RecordError(f"{source}:{number}: {problem}")
        records.append(from_dict(row))
    return records
