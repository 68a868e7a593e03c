"""Problems to work on: (image(s), question, gold answer[, choices]) rows, read from any row file.

Each row becomes a :class:`Problem` or a :class:`Rejection` with a :class:`RejectReason`; nothing is dropped
silently. The bridge, the RL data converter and evaluation all read their inputs here; they differ only in the
:class:`ProblemColumns` they pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.images import IMAGE_PLACEHOLDER, ImageProblem, ImageRef, image_ref
from vision_r1_plugins.core.rows import BadRow, InputError, missing_column, read_rows

__all__ = [
    "IMAGE_PLACEHOLDER",
    "ImageRef",
    "InputError",
    "Problem",
    "ProblemColumns",
    "RejectReason",
    "Rejection",
    "check_columns",
    "field_value",
    "read_problems",
    "read_problems_with_rows",
    "to_problem",
]


# The options of `bridge` and `rl-data` that name each column, quoted by the column check's message.
COLUMN_OPTIONS = {"question": "--question-column", "answer": "--answer-column", "images": "--image-column"}


class RejectReason(StrEnum):
    INVALID_ROW = "invalid_row"
    EMPTY_QUESTION = "empty_question"
    MISSING_ANSWER = "missing_answer"
    NO_IMAGE = "no_image"
    MISSING_IMAGE = "missing_image"
    CORRUPT_IMAGE = "corrupt_image"
    DUPLICATE_ID = "duplicate_id"


@dataclass(frozen=True)
class ProblemColumns:
    """Where a row keeps each field. ``question`` and ``images`` may list several columns: the first one present
    wins (MathVista ships both a decoded image and its path). Names may be dotted (``metadata.category``)."""

    images: str | tuple[str, ...] = "images"
    question: str | tuple[str, ...] = "problem"
    answer: str = "answer"
    choices: str | None = "choices"
    id: str | None = "id"
    require_image: bool = True

    def image_columns(self) -> tuple[str, ...]:
        return (self.images,) if isinstance(self.images, str) else self.images

    def question_columns(self) -> tuple[str, ...]:
        return (self.question,) if isinstance(self.question, str) else self.question


@dataclass(frozen=True)
class Problem:
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
class Rejection:
    index: int
    id: str
    reason: str  # a RejectReason, or a caller's own reason ("request_failed:reasoning", "over_max_prompt_length")
    detail: str = ""
    row: Any = field(default=None, compare=False)


def field_value(row: dict[str, Any], dotted: str | None) -> Any:
    """``row["a"]["b"]`` for ``"a.b"``; None when any part is missing."""
    value: Any = row
    for part in (dotted or "").split("."):
        if not part or not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _has_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.replace(IMAGE_PLACEHOLDER, "").strip())


def to_problem(index: int, row: Any, columns: ProblemColumns, base: Path) -> Problem | Rejection:
    if isinstance(row, BadRow):
        return Rejection(index, str(index), RejectReason.INVALID_ROW, row.detail)
    if not isinstance(row, dict):
        detail = f"row is {type(row).__name__}, not an object"
        return Rejection(index, str(index), RejectReason.INVALID_ROW, detail, row)
    raw_id = field_value(row, columns.id) if columns.id else None
    problem_id = str(index) if raw_id is None or raw_id == "" else str(raw_id)
    question = next((value for name in columns.question_columns() if _has_text(value := field_value(row, name))), None)
    if question is None:
        where = " / ".join(repr(name) for name in columns.question_columns())
        return Rejection(index, problem_id, RejectReason.EMPTY_QUESTION, f"column {where} is empty", row)
    answer = field_value(row, columns.answer)
    if answer is None or (isinstance(answer, str) and not answer.strip()) or isinstance(answer, list | dict):
        return Rejection(index, problem_id, RejectReason.MISSING_ANSWER, f"column {columns.answer!r} is empty", row)
    raw_images = next(
        (value for name in columns.image_columns() if (value := field_value(row, name)) is not None), None
    )
    raw_images = [] if raw_images is None else raw_images if isinstance(raw_images, list) else [raw_images]
    if not raw_images and columns.require_image:
        where = " / ".join(repr(name) for name in columns.image_columns())
        return Rejection(index, problem_id, RejectReason.NO_IMAGE, f"column {where} has no image", row)
    images = []
    for value in raw_images:
        ref = image_ref(value, base)
        if isinstance(ref, ImageProblem):
            return Rejection(index, problem_id, RejectReason(ref.reason), ref.detail, row)
        images.append(ref)
    choices = field_value(row, columns.choices) if columns.choices else None
    choices = tuple(str(option) for option in choices) if isinstance(choices, list) and choices else None
    # Questions in geometry3k style carry "<image>" markers; prompts get clean text, exports re-add them.
    clean_question = question.replace(IMAGE_PLACEHOLDER, "").strip()
    return Problem(index, problem_id, clean_question, str(answer).strip(), tuple(images), choices)


def _present(row: dict[str, Any], dotted: str) -> bool:
    value: Any = row
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


def check_columns(row: Any, columns: ProblemColumns, source: Path, hints: dict[str, str] | None = None) -> None:
    """Fail before any work when the first row lacks a column the caller named: a wrong column name would
    otherwise reject every row one by one (or, for images, quietly run text-only). ``hints`` maps a field
    (``question``, ``answer``, ``images``) to the option that renames it, for the message."""
    if not isinstance(row, dict):
        return
    needed = {"question": columns.question_columns(), "answer": (columns.answer,)}
    if columns.image_columns() and columns.require_image:
        needed["images"] = columns.image_columns()
    for name, candidates in needed.items():
        if candidates and not any(_present(row, column) for column in candidates):
            raise missing_column(source, name, candidates, row, (hints or {}).get(name))


def read_problems_with_rows(
    path: str | Path, columns: ProblemColumns = ProblemColumns(), hints: dict[str, str] | None = None
) -> Iterator[tuple[Any, Problem | Rejection]]:
    """Each raw row with what it became, for callers that need a field the problem normalises away. The first
    object row is checked to hold the named columns (:func:`check_columns`)."""
    source = Path(path)
    if not source.exists():
        raise InputError(f"input not found: {source}")
    base = source if source.is_dir() else source.parent
    checked = False
    for index, row in enumerate(read_rows(source)):
        if not checked and isinstance(row, dict):
            check_columns(row, columns, source, COLUMN_OPTIONS if hints is None else hints)
            checked = True
        yield row, to_problem(index, row, columns, base)


def read_problems(
    path: str | Path, columns: ProblemColumns = ProblemColumns(), hints: dict[str, str] | None = None
) -> Iterator[Problem | Rejection]:
    for _, problem in read_problems_with_rows(path, columns, hints):
        yield problem
