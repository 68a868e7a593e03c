"""Read responses that already exist: ours, MathVista's released ``results/output_*.json``, MathVision's
``outputs/*.jsonl``, VLMEvalKit prediction files and lmms-eval ``--log_samples`` files.

Every layout comes down to (row id, response text):

* JSONL / a JSON array of objects with the benchmark's id column (or ``id``/``index``/``question_id``) and
  ``response`` (VLMEvalKit: ``prediction``; lmms-eval: ``filtered_resps``/``resps``, a nested list);
* a JSON object keyed by row id whose values are such objects or plain strings (MathVista's results);
* VLMEvalKit's ``.tsv``/``.csv``/``.xlsx`` tables (``index``, ``prediction``);
* a ``vision-r1 eval`` run's ``responses.jsonl`` or ``rows.jsonl``.

lmms-eval's records name the benchmark row inside a metric dict (``question_id``, ``sample_index``) or only by
``doc_id``, its position in the split: that position is used when nothing else names the row.

Every row read ends in the :class:`~vision_r1_plugins.core.accounting.RowAccount` of the set: kept, or rejected as
``invalid_json``/``invalid_row`` (a JSONL line that is not an object, under
:func:`~vision_r1_plugins.core.rows.read_jsonl`'s policy), ``no_response``, ``no_id`` or ``duplicate_id``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.accounting import RowAccount
from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.core.rows import BadRow, read_jsonl, read_rows
from vision_r1_plugins.eval.run_folder import Response

RESPONSE_COLUMNS = ("response", "prediction", "filtered_resps", "resps", "output", "model_answer")
ID_COLUMNS = ("id", "index", "question_id", "sample_index", "pid")
POSITION = "doc_id"
UNREADABLE = ("invalid_json", "invalid_row", "no_response", "no_id")  # reject reasons of rows that say nothing


@dataclass
class ResponseSet:
    """The responses of one file: by row id, by position (lmms-eval's ``doc_id``), and with ``known`` given to
    :func:`read_responses`, the ids that no benchmark row has (only the ids: their text is never scored)."""

    responses: dict[str, Response]
    by_position: dict[int, Response] = field(default_factory=dict)
    rows: RowAccount = field(default_factory=RowAccount)  # every row read: kept or rejected with its reason
    unknown_ids: dict[str, None] = field(default_factory=dict)  # in the order read (a dict: ordered, unique)

    @property
    def ids(self) -> list[str]:
        """Every distinct id read, benchmark's or not."""
        return [*self.responses, *self.unknown_ids]

    @property
    def duplicates(self) -> int:
        """Later responses to an id already seen (the first is scored)."""
        return self.rows.rejected["duplicate_id"]

    @property
    def unreadable(self) -> int:
        """Rows with no id or no response text, or that are not rows at all."""
        return sum(self.rows.rejected[reason] for reason in UNREADABLE)

    def lookup(self, row_id: str, position: int) -> Response | None:
        found = self.responses.get(row_id)
        return found if found is not None else self.by_position.get(position)


def read_responses(path: Path, id_column: str, known: Container[str] | None = None) -> ResponseSet:
    """Responses of ``path`` keyed by row id; ``id_column`` is the benchmark's own id column. The file is read
    streaming; with ``known`` (the benchmark's ids) a response to any other id keeps only its id, in
    ``unknown_ids``, so memory is bounded by the benchmark, not by the file (a log of several tasks)."""
    source = Path(path)
    if not source.exists():
        raise UsageError(f"responses file not found: {source}")
    result = ResponseSet({})
    account = result.rows
    for where, key, row in _rows(source):
        account.add_input()
        if isinstance(row, BadRow):
            account.reject(row.reason, where, row.detail)
            continue
        text = _response_text(row)
        tokens = row.get("tokens") if isinstance(row, dict) else None
        finish = row.get("finish_reason") if isinstance(row, dict) else None
        if text is None:
            account.reject("no_response", where, f"none of {', '.join(RESPONSE_COLUMNS)} holds text")
            continue
        response = Response(
            text, tokens if isinstance(tokens, int) else None, finish if isinstance(finish, str) else None
        )
        row_id = key if key is not None else _row_id(row, id_column)
        if row_id is None:
            position = row.get(POSITION) if isinstance(row, dict) else None
            if isinstance(position, int) and position not in result.by_position:
                result.by_position[position] = response
                account.keep()
            else:
                account.reject("no_id", where, f"no {id_column!r} or one of {', '.join(ID_COLUMNS)}, nor {POSITION}")
            continue
        if row_id in result.responses or row_id in result.unknown_ids:
            account.reject("duplicate_id", where, f"id {row_id!r} seen before")
            continue
        if known is None or row_id in known:
            result.responses[row_id] = response
        else:
            result.unknown_ids[row_id] = None
        account.keep()
    if not result.responses and not result.by_position and not result.unknown_ids:
        raise UsageError(
            f"{source}: no responses read; each row needs an id ({id_column!r} or one of {', '.join(ID_COLUMNS)}) "
            f"and a response ({', '.join(RESPONSE_COLUMNS)})"
        )
    return result


def _rows(source: Path) -> Iterator[tuple[str, str | None, Any]]:
    """(where, row id when the layout gives it, row) for every row; JSONL lines that are not objects come as
    :class:`BadRow`."""
    if source.suffix in (".tsv", ".csv"):
        with source.open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle, delimiter="\t" if source.suffix == ".tsv" else ",")):
                yield f"row {number}", None, row
        return
    if source.suffix == ".xlsx":
        try:
            import pandas
        except ImportError as error:  # pandas comes with the training extras
            raise UsageError(f"{source}: reading .xlsx needs pandas and openpyxl; or save it as .tsv") from error
        for number, row in enumerate(pandas.read_excel(source).to_dict(orient="records")):
            yield f"row {number}", None, row
        return
    if source.suffix == ".json":
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:  # one document: unusable as a whole
            raise UsageError(f"{source} is not valid JSON (line {error.lineno}: {error.msg})") from error
        if isinstance(data, dict):  # keyed by row id: MathVista's results/output_*.json
            for key, value in data.items():
                yield f"id {key}", str(key), value if isinstance(value, dict) else {"response": value}
            return
    numbered = read_jsonl(source) if source.suffix == ".jsonl" else enumerate(read_rows(source))
    where = "line" if source.suffix == ".jsonl" else "row"
    for number, row in numbered:
        if isinstance(row, dict) and isinstance(row.get("key"), list) and isinstance(row.get("result"), dict):
            yield f"{where} {number}", str(row["key"][0]), row["result"]  # a `vision-r1 eval` run's responses.jsonl
        else:
            yield f"{where} {number}", None, row


def _response_text(row: Any) -> str | None:
    if isinstance(row, str):
        return row
    if not isinstance(row, dict):
        return None
    for column in RESPONSE_COLUMNS:
        value = _first_text(row.get(column))
        if value is not None:
            return value
    return None


def _first_text(value: Any) -> str | None:
    """A string, or the first string in lmms-eval's nested response lists; None otherwise (NaN included)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        for part in value:
            found = _first_text(part)
            if found is not None:
                return found
    return None


def _row_id(row: Any, id_column: str) -> str | None:
    if not isinstance(row, dict):
        return None
    for column in (id_column, *ID_COLUMNS):
        value = row.get(column)
        if value is not None and value == value and str(value).strip():  # value == value: not NaN
            return _plain_id(value)
    for value in row.values():  # lmms-eval: {"llm_as_judge_eval": {"question_id": "17", ...}, ...}
        if isinstance(value, dict):
            for column in (id_column, "question_id", "sample_index"):
                if value.get(column) is not None:
                    return _plain_id(value[column])
    return None


def _plain_id(value: Any) -> str:
    """``17.0`` read from a spreadsheet is row 17."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
