"""Training files, in the formats this project reads and writes, streamed as (question, options, images) rows.

Formats (detected from the first row, or named):

- ``problems``: the input of ``bridge`` and ``rl-data`` (question column ``problem``, read by
  :func:`~vision_r1_plugins.core.problems.read_problems_with_rows`, so a row is read exactly as those commands read
  it and a row they would reject is rejected here with the same reason);
- ``bridge_kept``: the bridge's ``kept.jsonl`` (``index``, ``id``, ``row``: a LLaMA-Factory row);
- ``sharegpt``: LLaMA-Factory ShareGPT rows (``messages`` with ``role``/``content`` or ``conversations`` with
  ``from``/``value``; ``images`` or ``image``), such as the bridge's ``vision_r1_bridged.json``: the question is
  the first user turn without its ``<image>`` placeholders, its options read from the text;
- ``verl``: the RL parquet of ``rl-data`` (``extra_info.question`` and ``extra_info.choices``, else the user turn;
  ``images`` as ``{bytes}``).

JSONL and parquet stream; a JSON array is parsed whole (as LLaMA-Factory and ``datasets`` do). Image paths resolve
against the file's folder (LLaMA-Factory's default ``media_dir`` is the ``dataset_dir`` that holds the file).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from vision_r1_plugins.answers import stated_answer
from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.core.images import IMAGE_PLACEHOLDER
from vision_r1_plugins.core.problems import Problem, ProblemColumns, field_value, read_problems_with_rows
from vision_r1_plugins.core.rows import BadRow, InputError, read_rows
from vision_r1_plugins.overlap.answer_check import RowAnswer, row_answer
from vision_r1_plugins.overlap.normalize import split_options

__all__ = ["ShareGPTColumns", "TrainFormat", "TrainingReject", "TrainingRow", "detect_format", "read_training"]

USER_ROLES = frozenset({"user", "human"})


class TrainFormat(StrEnum):
    PROBLEMS = "problems"
    BRIDGE_KEPT = "bridge_kept"
    SHAREGPT = "sharegpt"
    VERL = "verl"


ImageSource = bytes | str  # bytes, or a file path


@dataclass(frozen=True)
class TrainingRow:
    """One training row to check: its position, id, question, options, images (bytes or paths), the raw row
    (written back as is to the decontaminated copy) and its answer (the gold, or the assistant's stated answer;
    None when it has none)."""

    index: int
    id: str
    question: str
    choices: tuple[str, ...] | None
    images: tuple[ImageSource, ...]
    raw: Any = field(compare=False, repr=False)
    answer: RowAnswer | None = None


@dataclass(frozen=True)
class TrainingReject:
    """A row that cannot be checked, with its reason (``invalid_json``, ``no_user_turn``, the problem reader's
    reasons)."""

    index: int
    id: str
    reason: str
    detail: str
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ShareGPTColumns:
    """Where a ShareGPT row keeps its turns and images, as ``dataset_info.json``'s ``columns`` and ``tags``."""

    messages: str = "messages"
    images: str = "images"
    role_tag: str = "role"
    content_tag: str = "content"
    user_tag: str = "user"
    assistant_tag: str = "assistant"

    @classmethod
    def of(cls, row: dict[str, Any]) -> ShareGPTColumns:
        """The columns of ``row``: ``conversations``/``from``/``value`` or ``messages``/``role``/``content``."""
        messages = "messages" if isinstance(row.get("messages"), list) else "conversations"
        turns = [turn for turn in row.get(messages) or [] if isinstance(turn, dict)]
        role, content = ("from", "value") if any("from" in turn for turn in turns) else ("role", "content")
        roles = [str(turn.get(role)) for turn in turns]
        user = next((name for name in roles if name in USER_ROLES), "user")
        assistant = "gpt" if user == "human" else "assistant"
        images = "image" if "image" in row and "images" not in row else "images"
        return cls(messages, images, role, content, user, assistant)

    def dataset_info(self, file_name: str) -> dict[str, Any]:
        """The ``dataset_info.json`` entry LLaMA-Factory needs to load a file of these rows."""
        return {
            "file_name": file_name,
            "formatting": "sharegpt",
            "columns": {"messages": self.messages, "images": self.images},
            "tags": {
                "role_tag": self.role_tag,
                "content_tag": self.content_tag,
                "user_tag": self.user_tag,
                "assistant_tag": self.assistant_tag,
            },
        }


def detect_format(row: Any, source: Path) -> TrainFormat:
    """The format of a training file from its first row."""
    if isinstance(row, dict):
        if isinstance(row.get("prompt"), list) and isinstance(row.get("extra_info"), dict):
            return TrainFormat.VERL
        inner = row.get("row")
        if isinstance(inner, dict) and ("messages" in inner or "conversations" in inner) and "index" in row:
            return TrainFormat.BRIDGE_KEPT
        if isinstance(row.get("messages"), list) or isinstance(row.get("conversations"), list):
            return TrainFormat.SHAREGPT
        if "problem" in row:
            return TrainFormat.PROBLEMS
    present = ", ".join(sorted(map(str, row))[:20]) if isinstance(row, dict) else type(row).__name__
    formats = ", ".join(TrainFormat)
    raise UsageError(
        f"{source}: cannot tell the training format from its first row ({present}); "
        f"name it with --train-format ({formats}), or --question-column for a problems file"
    )


def first_row(path: Path) -> Any:
    """The first row of ``path`` that is not a bad line (None for an empty file)."""
    for row in read_rows(path):
        if not isinstance(row, BadRow):
            return row
    return None


def _image_source(value: Any, base: Path) -> ImageSource | None:
    if isinstance(value, dict):
        value = value.get("bytes") if value.get("bytes") is not None else value.get("path")
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str) and value:
        return value if Path(value).is_absolute() else str(base / value)
    return None


def _images(value: Any, base: Path) -> tuple[ImageSource, ...]:
    values = [] if value is None else value if isinstance(value, list) else [value]
    return tuple(source for item in values if (source := _image_source(item, base)) is not None)


def _user_turn(turns: Any, columns: ShareGPTColumns) -> str | None:
    for turn in turns if isinstance(turns, list) else []:
        if isinstance(turn, dict) and str(turn.get(columns.role_tag)) in USER_ROLES:
            content = turn.get(columns.content_tag)
            if isinstance(content, list):  # OpenAI-style parts: keep the text parts
                content = " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
            return content if isinstance(content, str) else None
    return None


def _assistant_answer(turns: Any, columns: ShareGPTColumns, question: str) -> RowAnswer | None:
    """The answer the last assistant turn states, with the options the question lists (a stated letter names one)."""
    for turn in reversed(turns if isinstance(turns, list) else []):
        if isinstance(turn, dict) and str(turn.get(columns.role_tag)) in (columns.assistant_tag, "assistant", "gpt"):
            content = turn.get(columns.content_tag)
            return row_answer(stated_answer(content), split_options(question)[1]) if isinstance(content, str) else None
    return None


def _sharegpt(
    index: int, row: dict[str, Any], row_id: str, base: Path, raw: Any = None
) -> TrainingRow | TrainingReject:
    columns = ShareGPTColumns.of(row)
    question = _user_turn(row.get(columns.messages), columns)
    if question is None:
        detail = f"no {'/'.join(sorted(USER_ROLES))} turn in {columns.messages!r}"
        return TrainingReject(index, row_id, "no_user_turn", detail, row if raw is None else raw)
    images = _images(row.get(columns.images), base)
    question = question.replace(IMAGE_PLACEHOLDER, " ")
    answer = _assistant_answer(row.get(columns.messages), columns, question)
    return TrainingRow(index, row_id, question, None, images, row if raw is None else raw, answer)


def _verl(index: int, row: dict[str, Any], base: Path) -> TrainingRow | TrainingReject:
    extra = row.get("extra_info") or {}
    row_id = str(extra.get("id") if extra.get("id") not in (None, "") else index)
    question = extra.get("question")
    choices = extra.get("choices")
    if not isinstance(question, str) or not question.strip():
        question = _user_turn(row.get("prompt"), ShareGPTColumns())
        choices = None  # the user turn lists them
    if question is None:
        return TrainingReject(index, row_id, "no_user_turn", "no question in extra_info and no user turn", row)
    options = tuple(str(option) for option in choices) if isinstance(choices, list) and choices else None
    gold = field_value(row, "reward_model.ground_truth")
    listed = extra.get("choices")  # the options the gold letter names, even where the question came from the prompt
    answer = row_answer(
        gold if gold is not None else extra.get("answer"),
        tuple(str(option) for option in listed) if isinstance(listed, list | tuple) and listed else None,
    )
    question = question.replace(IMAGE_PLACEHOLDER, " ")
    return TrainingRow(index, row_id, question, options, _images(row.get("images"), base), row, answer)


def _from_problem(raw: Any, problem: Problem) -> TrainingRow:
    images = tuple(ref.data if ref.data is not None else str(ref.path) for ref in problem.images)
    answer = row_answer(problem.answer, problem.choices)
    return TrainingRow(problem.index, problem.id, problem.question, problem.choices, images, raw, answer)


def read_training(
    path: Path, train_format: TrainFormat | None = None, columns: ProblemColumns | None = None
) -> tuple[TrainFormat, Iterator[TrainingRow | TrainingReject]]:
    """The format of ``path`` and its rows, streamed (JSON arrays load whole). Every input row yields exactly one
    :class:`TrainingRow` or :class:`TrainingReject`."""
    source = Path(path)
    if not source.exists():
        raise InputError(f"training file not found: {source}")
    if train_format is None:
        row = first_row(source)
        if row is None:
            raise UsageError(f"{source} holds no rows")
        train_format = detect_format(row, source)
    base = source if source.is_dir() else source.parent
    return train_format, _rows(source, train_format, base, columns)


def _rows(
    source: Path, train_format: TrainFormat, base: Path, columns: ProblemColumns | None
) -> Iterator[TrainingRow | TrainingReject]:
    if train_format is TrainFormat.PROBLEMS:
        # The answer is not needed to find a benchmark question, but bridge and rl-data reject a row without
        # one: reading through their reader keeps their verdicts.
        problem_columns = columns or ProblemColumns(require_image=False)
        for raw, problem in read_problems_with_rows(source, problem_columns):
            if isinstance(problem, Problem):
                yield _from_problem(raw, problem)
            else:
                yield TrainingReject(problem.index, problem.id, str(problem.reason), problem.detail, raw)
        return
    for index, row in enumerate(read_rows(source)):
        if isinstance(row, BadRow):
            yield TrainingReject(index, str(index), row.reason, str(row), None)
        elif not isinstance(row, dict):
            yield TrainingReject(index, str(index), "invalid_row", f"row is {type(row).__name__}", row)
        elif train_format is TrainFormat.VERL:
            yield _verl(index, row, base)
        elif train_format is TrainFormat.BRIDGE_KEPT:
            inner = row.get("row")
            row_id = str(row.get("id", index))
            if not isinstance(inner, dict):
                yield TrainingReject(index, row_id, "invalid_row", "no 'row' object", row)
            else:
                yield _sharegpt(index, inner, row_id, base, raw=row)
        else:
            yield _sharegpt(index, row, str(field_value(row, "id") or index), base)
