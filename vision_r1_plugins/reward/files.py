"""Score a JSONL file of responses: ``vision-r1 reward score``.

Output is one line per input line, in order, so a killed run resumes by counting what it already wrote.
A line that cannot be scored (bad JSON, no response column) still gets an output line with its reason.
The first JSON object of the input is checked for the named columns before anything is written, so a file in
another layout fails at once (naming the columns it has) instead of scoring every line as ``invalid_row``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.errors import RunError, UsageError
from vision_r1_plugins.core.rows import missing_column
from vision_r1_plugins.reward.options import RewardOptions
from vision_r1_plugins.reward.scorer import score_many

CHUNK_ROWS = 512
EXAMPLES = 3  # invalid lines quoted in an error (the first of each reason)


@dataclass(frozen=True)
class ResponseColumns:
    """Where each line keeps its fields (top-level keys). ``choices`` and ``id`` are optional per line; a line
    without ``choices`` falls back to verl's ``extra_info`` (which may carry them)."""

    response: str = "response"
    ground_truth: str = "ground_truth"
    choices: str | None = "choices"
    id: str | None = "id"


# The option of ``vision-r1 reward score`` that renames each column, quoted by the column check.
COLUMN_OPTIONS = {"response": "--response-column", "ground_truth": "--ground-truth-column"}


@dataclass
class ScoreSummary:
    rows: int = 0
    skipped_on_resume: int = 0
    invalid: int = 0
    total_score: float = 0.0
    reasons: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)  # the first invalid line of each reason, "line N: reason"

    @property
    def scored(self) -> int:
        return self.rows - self.invalid

    @property
    def mean_score(self) -> float:
        return self.total_score / self.scored if self.scored else 0.0


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def _rows(path: Path, skip: int) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if number > skip:
                yield number, line


def check_columns(input_path: Path, columns: ResponseColumns = ResponseColumns()) -> None:
    """Raise :class:`UsageError` when the input is empty or its first JSON object lacks the response or the
    ground-truth column: naming the columns it has and the option that renames each."""
    first: dict[str, Any] | None = None
    any_line = False
    for _, line in _rows(input_path, 0):
        if not line.strip():
            continue
        any_line = True
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            first = row
            break
    if not any_line:
        raise UsageError(f"{input_path} is empty: give a JSONL file with one response per line")
    if first is None:
        return  # no line is a JSON object: every line is reported invalid, and the run fails with their reasons
    for name in ("response", "ground_truth"):
        column = getattr(columns, name)
        if column not in first:
            raise missing_column(input_path, name, (column,), first, COLUMN_OPTIONS[name])


def _check_row(line: str, columns: ResponseColumns) -> tuple[dict[str, Any] | None, str]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        return None, f"invalid_json: {error.msg}"
    if not isinstance(row, dict):
        return None, "invalid_row: not a JSON object"
    if not isinstance(row.get(columns.response), str):
        return None, f"invalid_row: no string {columns.response!r}"
    if columns.ground_truth not in row:
        return None, f"invalid_row: no {columns.ground_truth!r}"
    return row, ""


def check_outcome(
    summary: ScoreSummary,
    input_path: Path,
    output_path: Path,
    strict: bool = False,
    columns: ResponseColumns = ResponseColumns(),
) -> None:
    """Raise :class:`RunError` when no row could be scored, or (``strict``) when any row could not."""
    if not summary.invalid or not (strict or summary.scored == 0):
        return
    first = "; ".join(summary.examples)
    if summary.scored == 0:
        options = f"{COLUMN_OPTIONS['response']} and {COLUMN_OPTIONS['ground_truth']} rename them"
        raise RunError(
            f"no row of {input_path} could be scored ({summary.invalid} invalid; first: {first})\n"
            f"each line must be a JSON object with a string {columns.response!r} and a "
            f"{columns.ground_truth!r} ({options}); each row's reason is in {output_path}"
        )
    raise RunError(
        f"--strict: {summary.invalid} of {summary.rows} rows could not be scored (first: {first}); "
        f"see their reasons in {output_path}"
    )


def score_file(
    input_path: Path,
    output_path: Path,
    *,
    resume: bool = False,
    on_progress: Callable[[int], None] | None = None,
    options: RewardOptions | None = None,
    columns: ResponseColumns = ResponseColumns(),
) -> ScoreSummary:
    """Score every line of ``input_path`` into ``output_path``; ``on_progress(n)`` after each n rows. The columns
    are checked first (:func:`check_columns`), before ``output_path`` is touched."""
    check_columns(input_path, columns)
    summary = ScoreSummary()
    done = count_lines(output_path) if resume and output_path.exists() else 0
    summary.skipped_on_resume = done
    mode = "a" if done else "w"
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with output_path.open(mode, encoding="utf-8") as out:
        chunk: list[tuple[int, str]] = []
        for item in _rows(input_path, done):
            chunk.append(item)
            if len(chunk) == CHUNK_ROWS:
                _score_chunk(chunk, out, summary, on_progress, options or RewardOptions(), columns)
                chunk = []
        if chunk:
            _score_chunk(chunk, out, summary, on_progress, options or RewardOptions(), columns)
    return summary


def _score_chunk(
    chunk: list[tuple[int, str]],
    out: Any,
    summary: ScoreSummary,
    on_progress: Callable[[int], None] | None,
    options: RewardOptions,
    columns: ResponseColumns,
) -> None:
    checked = [(number, *_check_row(line, columns)) for number, line in chunk]
    valid = [(number, row) for number, row, _ in checked if row is not None]
    results = score_many(
        [row[columns.response] for _, row in valid],
        [row[columns.ground_truth] for _, row in valid],
        [_extra_info(row, columns) for _, row in valid],
        options,
        on_done=(lambda index, result: on_progress(1)) if on_progress else None,
    )
    by_line = {number: result for (number, _), result in zip(valid, results, strict=True)}
    for number, row, problem in checked:
        if row is None:
            record = {
                "line": number,
                "score": 0.0,
                "format_ok": False,
                "answer_ok": False,
                "pred": "",
                "reason": problem,
            }
            summary.invalid += 1
            if not summary.reasons[problem.split(":")[0]] and len(summary.examples) < EXAMPLES:
                summary.examples.append(f"line {number}: {problem}")
            if on_progress:
                on_progress(1)
        else:
            record = {"line": number, **by_line[number]}
            if columns.id and columns.id in row:
                record["id"] = row[columns.id]
            summary.total_score += record["score"]
        summary.rows += 1
        summary.reasons[record["reason"].split(":")[0]] += 1
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()


def _extra_info(row: dict[str, Any], columns: ResponseColumns) -> Any:
    choices = row.get(columns.choices) if columns.choices else None
    return {"choices": choices} if choices else row.get("extra_info")
