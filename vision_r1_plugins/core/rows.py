"""The one reader of row files: JSONL, JSON array, parquet, or a folder saved by ``datasets``.

JSONL is read by :func:`read_jsonl`, the one JSONL parser of the project, with one policy for a bad line (see
there): a line that is not a JSON object becomes a :class:`BadRow` that the caller counts as rejected with its
reason, instead of stopping the read; a file that cannot be read at all raises :class:`InputError`. JSONL and
parquet stream; a JSON array is parsed whole, as LLaMA-Factory and ``datasets`` do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.errors import UsageError

ROW_FILE_SUFFIXES = (".jsonl", ".json", ".parquet")
PARQUET_BATCH_ROWS = 256


class InputError(UsageError):
    """The input as a whole cannot be read (missing file, unsupported format, not a JSON array)."""


@dataclass(frozen=True)
class BadRow:
    """A line that is not a row: ``reason`` is its reject bucket (``invalid_json``: not JSON; ``invalid_row``:
    JSON but not an object), ``detail`` says why, ``line`` is its 1-based line number (None outside JSONL)."""

    detail: str
    line: int | None = None
    reason: str = "invalid_json"

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.reason}: {self.detail}"


def read_jsonl(path: str | Path, *, own_file: bool = False) -> Iterator[tuple[int, dict[str, Any] | BadRow]]:
    """Each row of the JSONL file ``path`` with its 1-based line number, streamed one line at a time.

    The policy for every line, the same for every command:

    - a JSON object: yielded as a dict;
    - not JSON (or not UTF-8), or JSON that is not an object: yielded as a :class:`BadRow` with the line number
      and a reason (``invalid_json`` / ``invalid_row``), which the caller counts as rejected: never skipped
      silently and never a crash halfway through the file. Where one bad line makes the whole file unusable (the
      result store, a run folder's ``rows.jsonl``, the metrics log), the caller raises a
      :class:`~vision_r1_plugins.core.errors.UsageError` naming ``FILE:LINE`` instead;
    - a blank line (only whitespace): ignored, not counted;
    - ``own_file=True`` (the project's own append-only files: the result store, the PTST metrics log, caches):
      a last line without its trailing newline is a write cut off by a killed run, and is ignored.

    A missing file raises :class:`InputError`. A user file's last line may lack its newline (editors and
    ``json.dumps`` joins often leave it off), so it is parsed like any other unless ``own_file``.
    """
    source = Path(path)
    if not source.is_file():
        raise InputError(f"input not found: {source}")
    with source.open("rb") as handle:  # bytes: a line that is not UTF-8 is one bad row, not a crash
        for number, raw in enumerate(handle, start=1):
            if own_file and not raw.endswith(b"\n"):
                return  # only the last line can lack its newline: a partial write
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield number, BadRow(f"not UTF-8 text ({error.reason} at byte {error.start})", number, "invalid_json")
                continue
            yield number, parse_line(line, number)


def drop_partial_line(path: str | Path) -> None:
    """Cut a last line left without its newline by a killed writer off one of the project's own append-only
    files, so that appending starts on a fresh line (:func:`read_jsonl` with ``own_file`` ignores that line; this
    removes it). Reads only the file's tail."""
    with Path(path).open("r+b") as handle:
        end = handle.seek(0, 2)
        position = end
        while position > 0:
            step = min(65536, position)
            handle.seek(position - step)
            chunk = handle.read(step)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                position = position - step + newline + 1
                break
            position -= step
        if position < end:
            handle.truncate(position)


def parse_line(line: str, number: int | None = None) -> dict[str, Any] | BadRow:
    """One JSONL line under :func:`read_jsonl`'s policy (a dict, or a :class:`BadRow` saying why not)."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        return BadRow(f"not valid JSON ({error.msg})", number, "invalid_json")
    if not isinstance(value, dict):
        return BadRow(f"expected a JSON object, got a JSON {_json_type(value)}", number, "invalid_row")
    return value


def _json_type(value: Any) -> str:
    names = {list: "array", str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def missing_column(
    source: str | Path, field: str, candidates: tuple[str, ...], row: dict[str, Any], option: str | None = None
) -> UsageError:
    """The error for a first row that has none of ``candidates`` for ``field``: the columns it does have, and the
    option that names the right one. One wording for every command that reads row files."""
    where = " / ".join(repr(column) for column in candidates)
    present = ", ".join(sorted(map(str, row))[:20]) or "no keys"
    fix = f"; name it with {option} COLUMN" if option else ""
    return UsageError(f"{source}: no {field} column {where} (its first row has: {present}){fix}")


def read_rows(path: str | Path) -> Iterator[Any]:
    """Every row of ``path`` in order: parsed JSON values (usually dicts) or :class:`BadRow` (JSONL lines that are
    not objects, under :func:`read_jsonl`'s policy)."""
    source = Path(path)
    if not source.exists():
        raise InputError(f"input not found: {source}")
    if source.is_dir():
        yield from _dataset_rows(source)
    elif source.suffix == ".jsonl":
        for _, row in read_jsonl(source):
            yield row
    elif source.suffix == ".json":
        yield from json_array(source)
    elif source.suffix == ".parquet":
        import pyarrow.parquet as pq

        # pre_buffer=False: pyarrow's read-ahead cache otherwise keeps every row group it has read (1.8 GB for a
        # 200K-row verl parquet with images); without it memory stays at one batch.
        for batch in pq.ParquetFile(source, pre_buffer=False).iter_batches(batch_size=PARQUET_BATCH_ROWS):
            yield from batch.to_pylist()
    else:
        raise InputError(f"unsupported input {source}: use .jsonl, .json, .parquet or a saved datasets folder")


def json_array(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputError(f"{path} is not valid JSON: {error}") from error
    if isinstance(data, dict) and data and all(isinstance(row, dict) for row in data.values()):
        # An object keyed by row id (MathVista's testmini.json, DynaMath's dataset.json): the key becomes the
        # row's "id" where the row has none.
        return [row if "id" in row else {"id": key, **row} for key, row in data.items()]
    if not isinstance(data, list):
        raise InputError(f"{path} must hold a JSON array of rows, or an object mapping ids to rows")
    return data


def count_rows(path: str | Path) -> int:
    """How many rows :func:`read_rows` will yield, cheaply where the format allows (for progress bars)."""
    source = Path(path)
    if source.suffix == ".jsonl":
        with source.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    if source.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(source).metadata.num_rows
    if source.suffix == ".json":
        return len(json_array(source))
    return sum(1 for _ in read_rows(source))


def _dataset_rows(folder: Path) -> Iterator[Any]:
    from datasets import load_from_disk

    try:
        dataset = load_from_disk(str(folder))
    except FileNotFoundError as error:
        raise InputError(f"{folder} is not a folder saved by datasets' save_to_disk: {error}") from error
    if hasattr(dataset, "keys"):  # a DatasetDict: take "train" or the only split
        splits = list(dataset.keys())
        dataset = dataset["train"] if "train" in splits else dataset[splits[0]]
    yield from dataset
