"""Score a JSONL file of responses: ``vision-r1 reward score``.

Output is one line per input row, in order, each naming its input ``line``, so a killed run resumes after the
last line it wrote. The input is read by :func:`~vision_r1_plugins.core.rows.read_jsonl` (blank lines skipped);
a line that cannot be scored (bad JSON, not an object, no response column) still gets an output line with its
reason and counts as rejected in the :class:`~vision_r1_plugins.core.accounting.RowAccount`.
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

from vision_r1_plugins.core.accounting import RowAccount, Verdict
from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.core.rows import BadRow, drop_partial_line, missing_column, read_jsonl
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
    account: RowAccount = field(default_factory=RowAccount)  # input rows, scored (kept), invalid (rejected)
    skipped_on_resume: int = 0
    total_score: float = 0.0
    reasons: Counter[str] = field(default_factory=Counter)  # every row's reason, scored or not

    @property
    def rows(self) -> int:
        return self.account.input

    @property
    def invalid(self) -> int:
        return self.account.rejected_total

    @property
    def scored(self) -> int:
        return self.account.kept

    @property
    def examples(self) -> list[str]:
        """The first invalid line of each reason: ``line N: REASON: DETAIL``."""
        return [f"{e.where}: {e.reason}: {e.detail}" for e in self.account.first_of_each_reason(EXAMPLES)]

    @property
    def mean_score(self) -> float:
        return self.total_score / self.scored if self.scored else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.account.to_dict(),
            "rows": self.rows,
            "scored": self.scored,
            "invalid": self.invalid,
            "skipped_on_resume": self.skipped_on_resume,
            "mean_score": self.mean_score,
            "reasons": dict(self.reasons),
            "examples": self.examples,
        }


def count_lines(path: Path) -> int:
    """Non-blank lines of ``path``: the rows :func:`score_file` reads (for progress bars)."""
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def _rows(path: Path, after: int) -> Iterator[tuple[int, dict[str, Any] | BadRow]]:
    for number, row in read_jsonl(path):
        if number > after:
            yield number, row


def _resume_point(output_path: Path) -> tuple[int, int]:
    """(records already written, the last input line they cover) of a killed run's output; its cut-off last
    line, if any, is removed first."""
    drop_partial_line(output_path)
    written = last = 0
    for number, record in read_jsonl(output_path, own_file=True):
        if isinstance(record, BadRow) or not isinstance(record.get("line"), int):
            raise UsageError(f"{output_path}:{number}: not a score line; cannot resume into it")
        written, last = written + 1, record["line"]
    return written, last


def check_columns(input_path: Path, columns: ResponseColumns = ResponseColumns()) -> None:
    """Raise :class:`UsageError` when the input is empty or its first JSON object lacks the response or the
    ground-truth column: naming the columns it has and the option that renames each."""
    first: dict[str, Any] | None = None
    any_line = False
    for _, row in _rows(input_path, 0):
        any_line = True
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


def _check_row(row: dict[str, Any] | BadRow, columns: ResponseColumns) -> tuple[dict[str, Any] | None, str]:
    if isinstance(row, BadRow):
        return None, f"{row.reason}: {row.detail}"
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
    """Raise :class:`RunError` when no row could be scored, or (``strict``) when any row could not: the shared
    rule, :meth:`RowAccount.outcome`, in this command's words."""
    if summary.rows == 0:  # a resume with nothing left to score (an empty input is refused before scoring)
        return
    options = f"{COLUMN_OPTIONS['response']} and {COLUMN_OPTIONS['ground_truth']} rename them"
    summary.account.outcome(
        strict,
        source=str(input_path),
        first="; ".join(summary.examples),
        messages={
            Verdict.NOTHING_KEPT: "no row of {source} could be scored ({rejected} invalid; first: {first})\n"
            "each line must be a JSON object with a string {response} and a {ground_truth} ({options}); "
            "each row's reason is in {output}",
            Verdict.STRICT_REJECTED: "--strict: {rejected} of {input} rows could not be scored (first: {first}); "
            "see their reasons in {output}",
        },
        response=repr(columns.response),
        ground_truth=repr(columns.ground_truth),
        options=options,
        output=output_path,
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
    done, last_line = _resume_point(output_path) if resume and output_path.exists() else (0, 0)
    summary.skipped_on_resume = done
    mode = "a" if done else "w"
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with output_path.open(mode, encoding="utf-8") as out:
        chunk: list[tuple[int, dict[str, Any] | BadRow]] = []
        for item in _rows(input_path, last_line):
            chunk.append(item)
            if len(chunk) == CHUNK_ROWS:
                _score_chunk(chunk, out, summary, on_progress, options or RewardOptions(), columns)
                chunk = []
        if chunk:
            _score_chunk(chunk, out, summary, on_progress, options or RewardOptions(), columns)
    return summary


def _score_chunk(
    chunk: list[tuple[int, dict[str, Any] | BadRow]],
    out: Any,
    summary: ScoreSummary,
    on_progress: Callable[[int], None] | None,
    options: RewardOptions,
    columns: ResponseColumns,
) -> None:
    checked = [(number, *_check_row(row, columns)) for number, row in chunk]
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
            reason, _, detail = problem.partition(": ")
            summary.account.reject(reason, f"line {number}", detail)
            if on_progress:
                on_progress(1)
        else:
            record = {"line": number, **by_line[number]}
            if columns.id and columns.id in row:
                record["id"] = row[columns.id]
            summary.total_score += record["score"]
            summary.account.keep()
        summary.account.add_input()
        summary.reasons[record["reason"].split(":")[0]] += 1
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()


def _extra_info(row: dict[str, Any], columns: ResponseColumns) -> Any:
    choices = row.get(columns.choices) if columns.choices else None
    return {"choices": choices} if choices else row.get("extra_info")
