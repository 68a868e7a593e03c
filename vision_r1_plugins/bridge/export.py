"""What a kept sample becomes: an SFT response, its images, and LLaMA-Factory sharegpt rows.

The response is ``<think>\\nREASONING\\n</think>\\n<answer> Final Answer: X </answer>``, the format the reward
checks; the dataset is registered as ``vision_r1_bridged`` in the output folder's ``dataset_info.json``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from vision_r1_plugins.core.dataset_info import bundled_entries, register_datasets
from vision_r1_plugins.core.errors import RunError
from vision_r1_plugins.core.files import atomic_writer
from vision_r1_plugins.core.problems import IMAGE_PLACEHOLDER, Problem
from vision_r1_plugins.core.spill import Spill
from vision_r1_plugins.generation import join_thinking

DATASET_NAME = "vision_r1_bridged"


def compose_response(reasoning: str, answer: str) -> str:
    return join_thinking(reasoning, f"<answer> Final Answer: {answer} </answer>")


def safe_name(sample_id: str) -> str:
    """A file-name stem for an id; distinct ids stay distinct (a hash suffix when characters were replaced)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", sample_id)[:80]
    if cleaned == sample_id:
        return cleaned
    return f"{cleaned}_{hashlib.sha256(sample_id.encode()).hexdigest()[:8]}"


def image_names(problem: Problem) -> list[str]:
    """Where each image of a kept problem goes, relative to the output folder."""
    stem = safe_name(problem.id)
    return [f"images/{stem}_{number}.{image.extension}" for number, image in enumerate(problem.images)]


def sharegpt_row(problem: Problem, response: str, images: list[str]) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": IMAGE_PLACEHOLDER * len(images) + problem.question_with_choices()},
            {"role": "assistant", "content": response},
        ],
        "images": images,
    }


def kept_line(index: int, sample_id: str, row: str) -> str:
    """One line of ``kept.jsonl``: the sample's input index, its id and its dataset ``row`` (JSON text), in this
    order, so :func:`export` finds the row without decoding it."""
    return f'{{"index": {index}, "id": {json.dumps(sample_id, ensure_ascii=False)}, "row": {row}}}\n'


# The start of a kept.jsonl line as kept_line writes it; the row runs from the end of the match to the closing "}".
_KEPT_PREFIX = re.compile(rb'\{"index": (\d+), "id": "(?:[^"\\]|\\.)*", "row": ')


def export(out_dir: Path, parquet: bool = False) -> tuple[Path, int]:
    """Kept rows, in input order, as LLaMA-Factory sharegpt JSON registered in ``out_dir/dataset_info.json``.

    Streamed: ``kept.jsonl`` (in the order samples finished) is read once for each row's input index and where its
    row lies, which are sorted on disk (:class:`~vision_r1_plugins.core.spill.Spill`), then each row is copied in
    input order into a JSON array of one row per line, so memory does not grow with the dataset and no row is
    decoded and encoded again."""
    kept = out_dir / "kept.jsonl"
    target = out_dir / f"{DATASET_NAME}.json"
    with Spill() as places:
        places.add_many(_places(kept))
        with kept.open("rb") as source, atomic_writer(target) as out:
            out.write("[")
            for position, row in enumerate(_rows_at(source, places)):
                out.write(("\n" if position == 0 else ",\n") + row)
            out.write("\n]\n" if places.count else "]\n")
        register_datasets(out_dir, bundled_entries([DATASET_NAME]), force=True)
        if parquet:
            with kept.open("rb") as source:
                rows = (json.loads(row) for row in _rows_at(source, places))
                _write_parquet(out_dir / f"{DATASET_NAME}.parquet", rows)
        return target, places.count


def _places(kept: Path) -> Iterator[tuple[int, int, int]]:
    """(input index, byte offset, byte length) of each kept sample's row in ``kept``."""
    for number, offset, line in _lines(kept):
        found = _KEPT_PREFIX.match(line)
        if found is None or not line.endswith(b"}\n"):
            raise RunError(f"{kept}:{number}: not a kept sample; rerun with --resume to rebuild it")
        yield int(found.group(1)), offset + found.end(), len(line) - found.end() - 2


def _lines(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """(line number, byte offset, line) of each non-blank line of our own append-only ``path``; a last line cut
    off by a kill (no newline) is ignored, as :func:`~vision_r1_plugins.core.rows.read_jsonl` does for our
    files."""
    if not path.is_file():
        raise RunError(f"{path} is missing; rerun with --resume to rebuild it")
    offset = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            start, offset = offset, offset + len(raw)
            if not raw.endswith(b"\n"):
                return
            if raw.strip():
                yield number, start, raw


def _rows_at(source: BinaryIO, places: Spill) -> Iterator[str]:
    for _, offset, length in places.sorted():
        source.seek(offset)
        yield source.read(length).decode("utf-8")


# Row groups of this many rows: the parquet file is written as it is read.
_PARQUET_BATCH = 1024


def _write_parquet(path: Path, rows: Iterator[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    schema = pa.schema([("messages", pa.list_(message)), ("images", pa.list_(pa.string()))])
    with pq.ParquetWriter(path, schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == _PARQUET_BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
