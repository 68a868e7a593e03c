"""Read the problems to bridge: JSONL, JSON array, parquet or a saved HF ``datasets`` folder.

Each row becomes a :class:`Sample` or a :class:`RejectedInput` with a reason; nothing is dropped silently.
Images may be paths (relative to the input file's folder), bytes, ``{"bytes", "path"}`` dicts (parquet / HF
``Image`` features) or PIL images; each is checked to open before any request is spent on the row.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IMAGE_PLACEHOLDER = "<image>"


@dataclass(frozen=True)
class InputColumns:
    images: str = "images"
    question: str = "problem"
    answer: str = "answer"
    choices: str | None = "choices"
    id: str | None = "id"


@dataclass(frozen=True)
class ImageRef:
    """An image as bytes (with its format) or a file path; loaded when a request needs it."""

    path: str | None = None
    data: bytes | None = None
    format: str = "PNG"

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return Path(self.path).read_bytes()

    @property
    def mime(self) -> str:
        return "image/jpeg" if self.format.upper() in ("JPEG", "JPG", "MPO") else f"image/{self.format.lower()}"


@dataclass(frozen=True)
class Sample:
    index: int
    id: str
    question: str
    answer: str
    images: tuple[ImageRef, ...]
    choices: tuple[str, ...] | None = None

    def question_with_choices(self) -> str:
        if not self.choices:
            return self.question
        options = "\n".join(f"({chr(65 + i)}) {option}" for i, option in enumerate(self.choices))
        return f"{self.question}\nChoices:\n{options}"


@dataclass(frozen=True)
class RejectedInput:
    index: int
    id: str
    reason: str  # "invalid_row" | "empty_question" | "missing_answer" | "no_image" | "missing_image" | "corrupt_image"
    detail: str = ""
    row: Any = field(default=None, compare=False)


class InputError(ValueError):
    """The input as a whole cannot be read (missing file, unsupported format)."""


def raw_rows(path: Path) -> Iterator[Any]:
    if path.is_dir():
        from datasets import load_from_disk

        dataset = load_from_disk(str(path))
        if hasattr(dataset, "keys"):  # a DatasetDict: take "train" or the only split
            splits = list(dataset.keys())
            dataset = dataset["train"] if "train" in splits else dataset[splits[0]]
        yield from dataset
    elif path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as error:
                        yield _BadLine(f"invalid JSON: {error.msg}")
    elif path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise InputError(f"{path} must hold a JSON array of rows")
        yield from data
    elif path.suffix == ".parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=256):
            yield from batch.to_pylist()
    else:
        raise InputError(f"unsupported input {path}: use .jsonl, .json, .parquet or a saved datasets folder")


@dataclass(frozen=True)
class _BadLine:
    detail: str


def image_ref(value: Any, base: Path) -> ImageRef | str:
    """An ImageRef, or the reason this value is not a usable image."""
    from PIL import Image, UnidentifiedImageError

    if isinstance(value, Image.Image):
        buffer = io.BytesIO()
        value.save(buffer, format="PNG")
        return ImageRef(data=buffer.getvalue(), format="PNG")
    if isinstance(value, dict):
        value = value.get("bytes") if value.get("bytes") is not None else value.get("path")
    if isinstance(value, str):
        path = Path(value) if Path(value).is_absolute() else base / value
        if not path.is_file():
            return f"missing_image:{value}"
        source: Any = path
    elif isinstance(value, bytes | bytearray):
        source = io.BytesIO(bytes(value))
    else:
        return f"corrupt_image:unsupported image value {type(value).__name__}"
    try:
        with Image.open(source) as opened:
            image_format = opened.format or "PNG"
            opened.verify()
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as error:
        return f"corrupt_image:{error}"
    if isinstance(source, Path):
        return ImageRef(path=str(source), format=image_format)
    return ImageRef(data=bytes(value), format=image_format)


def to_sample(index: int, row: Any, columns: InputColumns, base: Path) -> Sample | RejectedInput:
    if isinstance(row, _BadLine):
        return RejectedInput(index, str(index), "invalid_row", row.detail)
    if not isinstance(row, dict):
        return RejectedInput(index, str(index), "invalid_row", f"row is {type(row).__name__}, not an object", row)
    sample_id = str(row.get(columns.id, index)) if columns.id else str(index)
    question = row.get(columns.question)
    if not isinstance(question, str) or not question.replace(IMAGE_PLACEHOLDER, "").strip():
        return RejectedInput(index, sample_id, "empty_question", f"column {columns.question!r} is empty", row)
    answer = row.get(columns.answer)
    if answer is None or (isinstance(answer, str) and not answer.strip()) or isinstance(answer, list | dict):
        return RejectedInput(index, sample_id, "missing_answer", f"column {columns.answer!r} is empty", row)
    raw_images = row.get(columns.images)
    raw_images = [] if raw_images is None else raw_images if isinstance(raw_images, list) else [raw_images]
    if not raw_images:
        return RejectedInput(index, sample_id, "no_image", f"column {columns.images!r} has no image", row)
    images = []
    for value in raw_images:
        ref = image_ref(value, base)
        if isinstance(ref, str):
            reason, _, detail = ref.partition(":")
            return RejectedInput(index, sample_id, reason, detail, row)
        images.append(ref)
    choices = row.get(columns.choices) if columns.choices else None
    choices = tuple(str(option) for option in choices) if isinstance(choices, list) and choices else None
    # Questions in geometry3k style carry "<image>" markers; prompts get clean text, the export re-adds them.
    clean_question = question.replace(IMAGE_PLACEHOLDER, "").strip()
    return Sample(index, sample_id, clean_question, str(answer).strip(), tuple(images), choices)


def read_rows(path: str | Path, columns: InputColumns = InputColumns()) -> Iterator[tuple[Any, Sample | RejectedInput]]:
    """Each raw row with what it became, for callers that need a field the sample normalises away."""
    source = Path(path)
    if not source.exists():
        raise InputError(f"input not found: {source}")
    base = source if source.is_dir() else source.parent
    for index, row in enumerate(raw_rows(source)):
        yield row, to_sample(index, row, columns, base)


def read_samples(path: str | Path, columns: InputColumns = InputColumns()) -> Iterator[Sample | RejectedInput]:
    for _, sample in read_rows(path, columns):
        yield sample
