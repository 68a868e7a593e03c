"""The one reader of row files: JSONL, JSON array, parquet, or a folder saved by ``datasets``.

A JSONL line that is not JSON becomes a :class:`BadRow` (the caller turns it into a reject record with its
reason) instead of stopping the read; a file that cannot be read at all raises :class:`InputError`. JSONL and
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
    """A row that could not even be parsed; ``detail`` says why."""

    detail: str


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
    """Every row of ``path`` in order: parsed JSON values (usually dicts) or :class:`BadRow`."""
    source = Path(path)
    if not source.exists():
        raise InputError(f"input not found: {source}")
    if source.is_dir():
        yield from _dataset_rows(source)
    elif source.suffix == ".jsonl":
        with source.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as error:
                        yield BadRow(f"invalid JSON: {error.msg}")
    elif source.suffix == ".json":
        yield from json_array(source)
    elif source.suffix == ".parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(source).iter_batches(batch_size=PARQUET_BATCH_ROWS):
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
