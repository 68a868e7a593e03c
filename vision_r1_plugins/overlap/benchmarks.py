"""Benchmark files, in any registered layout, read into the rows the index holds.

A file is named ``NAME=PATH`` (the layout given) or ``PATH`` (the layout detected from its first row, see
:func:`detect_layout`). Rows are read by the evaluation's own reader (:func:`~vision_r1_plugins.eval.benchmark_file.
read_benchmark`), so a benchmark is understood exactly as ``vision-r1 eval`` understands it. The gold answer is kept
only to discount image matches whose answers contradict (:mod:`~vision_r1_plugins.overlap.answer_check`); a row
the evaluation cannot score (MathVista's test split has no public answers; an MM-Math solution without a box) is
still indexed from its raw fields, and a row whose image file is missing is indexed by
its text. Only a row with neither usable text nor image is rejected, with its reason.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.core.images import ImageProblem, ImageRef, image_ref
from vision_r1_plugins.core.problems import Rejection, field_value
from vision_r1_plugins.core.rows import BadRow, InputError
from vision_r1_plugins.overlap.answer_check import RowAnswer, row_answer
from vision_r1_plugins.overlap.normalize import NormalText, normalise, parse_options

__all__ = ["BenchmarkFile", "BenchmarkRow", "detect_layout", "parse_benchmark_arg", "read_benchmark_rows"]

# Columns that hold the bare question where a layout's prompt column adds instructions (MathVista's query,
# MathVerse's query_cot); tried before the layout's prompt columns.
_QUESTION_COLUMNS = ("question", "question_for_eval", "problem")
# Columns a layout's reader adds to every row (DynaMath's variant ids, the ids of a JSON object keyed by id): they
# say nothing about which layout a file is in.
_ADDED_COLUMNS = frozenset({"row_id", "variant"})


@dataclass(frozen=True)
class BenchmarkRow:
    """One indexed benchmark row: its id, its normalised text (None when it has no text), its images and its gold
    answer (None when it has none: an image match with it then always counts)."""

    row_id: str
    text: NormalText | None
    images: tuple[ImageRef, ...]
    answer: RowAnswer | None = None


@dataclass
class BenchmarkFile:
    """A benchmark file read: its label in the report (the layout's name, made unique), layout, path, the rows to
    index, and the rows rejected (reason -> count) with the first few examples."""

    label: str
    layout: str
    path: Path
    rows: list[BenchmarkRow] = field(default_factory=list)
    rejected: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    image_problems: Counter[str] = field(default_factory=Counter)  # rows indexed without (some of) their images

    @property
    def rows_read(self) -> int:
        return len(self.rows) + sum(self.rejected.values())


def parse_benchmark_arg(text: str) -> tuple[str | None, Path]:
    """``NAME=PATH`` -> (NAME, PATH); ``PATH`` -> (None, PATH). A ``=`` inside an existing path is a path."""
    name, separator, path = text.partition("=")
    if separator and re.fullmatch(r"[A-Za-z0-9_.-]+", name) and not Path(text).exists():
        return name, Path(path)
    return None, Path(text)


def _spec_columns(spec: Any) -> set[str]:
    """The top-level columns a layout reads."""
    named = [spec.id, *spec.prompt, *spec.images, spec.answer, spec.choices, spec.question_type, spec.answer_type]
    named += [spec.precision, *spec.breakdowns, spec.group, *(subset.column for subset in spec.subsets)]
    return {str(name).split(".")[0] for name in named if name}


def _fits(spec: Any, row: dict[str, Any]) -> bool:
    """Whether ``row`` has the columns that define ``spec``'s layout: its id, a prompt, its answer and its
    breakdown columns."""
    has = lambda column: field_value(row, column) is not None or column.split(".")[0] in row  # noqa: E731
    required = [spec.id, spec.answer, *spec.breakdowns]
    return all(has(column) for column in required) and any(has(column) for column in spec.prompt)


def _first_row(spec: Any, path: Path) -> dict[str, Any] | None:
    try:
        for row in spec.read(path):
            return row if isinstance(row, dict) else None
    except (UsageError, OSError, ValueError):
        return None
    return None


def detect_layout(path: Path) -> Any:
    """The registered benchmark layout of ``path``: of the layouts whose defining columns its first row has, the
    one that accounts for most of the row's columns. A tie (MathVista's testmini and test share one layout) is
    broken by a layout's split name as a word of the file's name (``test.json``); otherwise it is a
    :class:`UsageError` naming the candidates and the ``NAME=PATH`` form."""
    from vision_r1_plugins.eval.tasks import BENCHMARKS

    if not path.exists():
        raise InputError(f"benchmark file not found: {path}")
    scores: dict[str, float] = {}
    first_rows: dict[Any, dict[str, Any] | None] = {}
    for name, spec in BENCHMARKS.items():
        if spec.read not in first_rows:  # one read per reader: JSON arrays load whole
            first_rows[spec.read] = _first_row(spec, path)
        row = first_rows[spec.read]
        if row is None or not _fits(spec, row):
            continue
        keys = set(row) - _ADDED_COLUMNS
        scores[name] = len(keys & _spec_columns(spec)) / max(1, len(keys))
    names = ", ".join(BENCHMARKS)
    if not scores:
        raise UsageError(f"{path}: no registered benchmark layout fits its first row; give NAME={path} ({names})")
    best = max(scores.values())
    tied = sorted(name for name, score in scores.items() if score == best)
    if len(tied) > 1:
        words = set(re.split(r"[^a-z0-9]+", path.name.lower()))
        by_split = [name for name in tied if name.rsplit("_", 1)[-1] in words]
        if len(by_split) != 1:
            choices = " or ".join(f"{name}={path}" for name in tied)
            raise UsageError(f"{path}: its layout fits {', '.join(tied)}; name it: --benchmark {choices}")
        tied = by_split
    return BENCHMARKS[tied[0]]


def _raw_text(raw: dict[str, Any], spec: Any) -> tuple[str | None, tuple[str, ...] | None]:
    question = next(
        (value for name in (*_QUESTION_COLUMNS, *spec.prompt) if isinstance(value := field_value(raw, name), str)),
        None,
    )
    choices = field_value(raw, spec.choices) if spec.choices else None
    if isinstance(choices, list) and choices:
        return question, tuple(str(option) for option in choices)
    option = field_value(raw, "option")  # WeMath keeps its options in one string
    return question, parse_options(option) if isinstance(option, str) else None


def _raw_images(raw: dict[str, Any], spec: Any, base: Path) -> tuple[tuple[ImageRef, ...], str | None]:
    """The row's images resolved against the file's folder, and the first problem if one failed."""
    value = next((value for name in spec.images if (value := field_value(raw, name)) is not None), None)
    refs, problem = [], None
    for item in [] if value is None else value if isinstance(value, list) else [value]:
        ref = image_ref(item, base)
        if isinstance(ref, ImageProblem):
            problem = problem or ref.reason
        else:
            refs.append(ref)
    return tuple(refs), problem


def _rows(path: Path, spec: Any, images: bool) -> Iterator[tuple[str, Any, Any]]:
    """(row id, raw row or None, EvalRow or Rejection) for every row of the file, in order."""
    from vision_r1_plugins.eval.benchmark_file import read_benchmark

    # The shared reader resolves no images (a missing image file would reject a row whose text is still
    # evidence); images are resolved here from the raw rows.
    rows, invalid = read_benchmark(path, spec, images=False)
    raws = {}
    if images or invalid:
        for index, raw in enumerate(spec.read(path)):
            raws[index] = raw
    for row in rows:
        yield row.id, raws.get(row.problem.index), row
    for rejection in invalid:
        yield rejection.id, raws.get(rejection.index, rejection.row), rejection


def read_benchmark_rows(
    name: str | None, path: Path, *, images: bool = True, label: str | None = None
) -> BenchmarkFile:
    """The rows of a benchmark file ready to index; ``name`` picks the layout (None: detected)."""
    from vision_r1_plugins.eval.tasks import get_benchmark

    if not path.exists():
        raise InputError(f"benchmark file not found: {path}")
    spec = get_benchmark(name) if name else detect_layout(path)
    result = BenchmarkFile(label or spec.name, spec.name, path)
    base = path if path.is_dir() else path.parent
    for row_id, raw, read in _rows(path, spec, images):
        if isinstance(read, Rejection) and not isinstance(raw, dict):
            reason = raw.reason if isinstance(raw, BadRow) else read.reason if raw is None else "invalid_row"
            _reject(result, str(reason), f"row {read.index} ({row_id}): {read.detail}")
            continue
        if isinstance(read, Rejection):
            question, choices = _raw_text(raw, spec)
            answer = row_answer(field_value(raw, spec.answer), choices) if spec.answer else None
        else:
            question, choices = read.item.question or read.problem.question, read.item.choices
            answer = row_answer(read.item.answer, choices, read.item.golds)
        text = normalise(question, choices) if question else None
        text = None if text is None or text.is_empty() else text
        refs, problem = _raw_images(raw, spec, base) if images and raw is not None else ((), None)
        if problem:
            result.image_problems[problem] += 1
        if text is None and not refs:
            detail = read.detail if isinstance(read, Rejection) else "no question text and no readable image"
            _reject(result, "no_text_or_image", f"row {row_id}: {detail}")
            continue
        result.rows.append(BenchmarkRow(str(row_id), text, refs, answer))
    return result


def _reject(result: BenchmarkFile, reason: str, detail: str) -> None:
    result.rejected[reason] += 1
    if result.rejected[reason] <= 3:
        result.examples.append(f"{reason}: {detail}")
