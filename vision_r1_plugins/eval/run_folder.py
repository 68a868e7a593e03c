"""Score responses to a benchmark's rows under both protocols and write a run folder.

``summary.json`` (accuracy per protocol over ALL benchmark rows, breakdowns, subsets, worst case),
``rows.jsonl`` (one :class:`~vision_r1_plugins.eval.row_record.EvalRecord` per benchmark row: ``id``,
``correct``, ``extracted``, ``normalized``, ``method`` and more), ``results.csv`` and ``invalid.jsonl``.
``vision-r1 eval`` and ``vision-r1 eval score`` both end here, so their files are the same.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.accounting import RowAccount
from vision_r1_plugins.core.files import write_json_atomically, write_text_atomically
from vision_r1_plugins.core.problems import Rejection
from vision_r1_plugins.eval.benchmark_file import EvalRow
from vision_r1_plugins.eval.extraction import Extraction, extract
from vision_r1_plugins.eval.row_record import ROWS_FILE, EvalRecord, write_records
from vision_r1_plugins.eval.strict_protocol import item_choices, score_extraction
from vision_r1_plugins.eval.tasks.spec import BenchmarkSpec
from vision_r1_plugins.generation import MARKER_NAMES, reflection_markers

PROTOCOLS: tuple[str, ...] = ("official", "strict")
SUMMARY_FILE = "summary.json"
CSV_FILE = "results.csv"
INVALID_FILE = "invalid.jsonl"
CSV_COLUMNS = [
    "id",
    "category",
    "question_type",
    "answer_type",
    "answer",
    "extracted",
    "normalized",
    "method",
    "correct",
    "correct_official",
    "correct_strict",
    "missing",
    "failed",
    "response_tokens",
    "hit_max_tokens",
]
# The deadline routes math-verify through the reward's killable workers: one pathological answer (a power
# tower) must not stall a whole evaluation.
SCORING_TIMEOUT = 10.0


@dataclass(frozen=True)
class Response:
    """One generated (or supplied) response to a benchmark row."""

    text: str
    tokens: int | None = None
    finish_reason: str | None = None


@dataclass
class EvalReport:
    """A scored run (``summary.json``): accuracy over every benchmark row under each protocol, breakdowns by
    category and question type, failed and missing rows, response lengths and reflection markers, the files.

    >>> report.accuracy, report.paths["rows"]  # doctest: +SKIP
    (0.75, 'runs/mathvista/rows.jsonl')
    """

    benchmark: str
    protocol: str
    rows: int  # every benchmark row: the denominator of each accuracy
    scored: int  # rows with a response that was scored
    failed: int  # rows whose request failed
    missing: int  # rows the responses file had no response for
    accuracy: float  # under `protocol`, over all rows
    accuracy_by_protocol: dict[str, float]
    correct_by_protocol: dict[str, int]
    breakdowns: dict[str, dict[str, dict[str, float]]]
    subsets: dict[str, dict[str, float]]
    worst_case: dict[str, float] | None
    by_question_type: dict[str, dict[str, float]]
    no_answer_share: float
    hit_max_tokens_share: float
    response_tokens: dict[str, float]
    markers_per_response: dict[str, float]
    invalid_rows: int = 0
    judged_rows: int = 0  # rows whose answer a judge model extracted (--judge-url)
    # The benchmark file's rows in RowAccount's shape: input, kept (evaluated: ``rows``), rejected by reason
    # (``invalid_rows``, in invalid.jsonl). Failed requests and missing responses stay kept: they count as wrong.
    row_accounting: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)

    first_failure: str = ""  # why the first failed request failed

    @property
    def by_category(self) -> dict[str, dict[str, float]]:
        """The first breakdown (the row's category)."""
        return next(iter(self.breakdowns.values()), {})


Judge = Callable[[EvalRow, str], str | None]


def extraction_of(row: EvalRow, response: Response) -> Extraction:
    """What the rules find in a response to ``row``."""
    return extract(response.text, item_choices(row.item), row.item.question)


def score_row(
    row: EvalRow,
    response: Response,
    spec: BenchmarkSpec,
    judge: Judge | None = None,
    timeout: float | None = SCORING_TIMEOUT,
    extraction: Extraction | None = None,
) -> EvalRecord:
    """Both protocols' verdicts on one response. ``judge`` is asked only when the rules find no answer;
    ``extraction`` is the rules' result when the caller already has it."""
    item = row.item
    if extraction is None:
        extraction = extraction_of(row, response)
    if extraction.text is None and judge is not None and response.text.strip():
        judged = judge(row, response.text)
        if judged:
            extraction = Extraction(judged, "judge")
    official = spec.official(response.text, extraction, item)
    strict = score_extraction(extraction, item, timeout=timeout)
    return EvalRecord(
        **_row_fields(row),
        correct=official.correct,
        response_tokens=response.tokens or len(response.text.split()),
        extracted=extraction.text,
        normalized=official.normalized,
        method=extraction.method,
        hit_max_tokens=response.finish_reason == "length",
        markers=reflection_markers(response.text),
        response=response.text,
        correct_official=official.correct,
        correct_strict=strict.correct,
    )


def unscored_record(row: EvalRow, *, failed: str | None = None, missing: bool = False) -> EvalRecord:
    return EvalRecord(
        **_row_fields(row),
        correct=False,
        response_tokens=0,
        failed=failed,
        missing=missing,
        correct_official=False,
        correct_strict=False,
    )


def _row_fields(row: EvalRow) -> dict[str, Any]:
    """The record fields that come from the benchmark row, scored or not."""
    item = row.item
    return {
        "id": row.id,
        "category": item.category,
        "question_type": item.question_type,
        "answer_type": item.answer_type,
        "answer": item.answer,
        "breakdown": row.breakdown,
        "group": row.group,
    }


def with_protocol(record: EvalRecord, protocol: str) -> EvalRecord:
    verdict = record.correct_strict if protocol == "strict" else record.correct_official
    return EvalRecord(**{**asdict(record), "correct": bool(verdict)})


def write_run(
    out: Path,
    spec: BenchmarkSpec,
    rows: list[EvalRow],
    records: list[EvalRecord],
    invalid: list[Rejection],
    protocol: str = "official",
    judged_rows: int = 0,
) -> EvalReport:
    """Write the run folder and return its summary. ``records`` has one record per row of ``rows``."""
    out.mkdir(parents=True, exist_ok=True)
    records = [with_protocol(record, protocol) for record in records]
    write_records(out / ROWS_FILE, records)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(record.to_dict() for record in records)
    write_text_atomically(out / CSV_FILE, buffer.getvalue())
    lines = [
        json.dumps(
            {"index": rejection.index, "id": rejection.id, "reason": str(rejection.reason), "detail": rejection.detail},
            ensure_ascii=False,
        )
        + "\n"
        for rejection in invalid
    ]
    write_text_atomically(out / INVALID_FILE, "".join(lines))
    report = summarize(spec, rows, records, protocol, invalid_rows=len(invalid), judged_rows=judged_rows)
    account = RowAccount()
    account.add_input(len(records) + len(invalid))
    account.keep(len(records))
    for rejection in invalid:
        account.reject(str(rejection.reason), f"row {rejection.index} ({rejection.id})", rejection.detail)
    account.check_balance()
    report.row_accounting = account.to_dict()
    files = {"rows": ROWS_FILE, "csv": CSV_FILE, "summary": SUMMARY_FILE, "invalid": INVALID_FILE}
    report.paths = {name: str(out / file) for name, file in files.items()}
    summary = asdict(report)
    write_json_atomically(out / SUMMARY_FILE, summary)
    return report


def _accuracy(records: list[EvalRecord]) -> dict[str, float]:
    count = len(records)
    result: dict[str, float] = {"rows": float(count)}
    for protocol in PROTOCOLS:
        key = f"correct_{protocol}"
        result[protocol] = sum(bool(getattr(record, key)) for record in records) / count if count else 0.0
    return result


def _grouped(records: list[EvalRecord], key: Callable[[EvalRecord], str]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[EvalRecord]] = defaultdict(list)
    for record in records:
        groups[key(record)].append(record)
    return {name: _accuracy(members) for name, members in sorted(groups.items())}


def _worst_case(records: list[EvalRecord]) -> dict[str, float] | None:
    """A seed question counts only if every one of its variants is right (DynaMath)."""
    groups: dict[str, list[EvalRecord]] = defaultdict(list)
    for record in records:
        if record.group is not None:
            groups[record.group].append(record)
    if not groups:
        return None
    result: dict[str, float] = {"groups": float(len(groups))}
    for protocol in PROTOCOLS:
        key = f"correct_{protocol}"
        result[protocol] = sum(all(getattr(r, key) for r in members) for members in groups.values()) / len(groups)
    return result


def summarize(
    spec: BenchmarkSpec,
    rows: list[EvalRow],
    records: list[EvalRecord],
    protocol: str,
    invalid_rows: int = 0,
    judged_rows: int = 0,
) -> EvalReport:
    by_id: Mapping[str, EvalRow] = {row.id: row for row in rows}
    scored = [record for record in records if record.scored]
    overall = _accuracy(records)
    count = max(len(scored), 1)
    tokens = [record.response_tokens for record in scored]
    subsets = {
        subset.name: _accuracy([record for record in records if subset.name in by_id[record.id].subsets])
        for subset in spec.subsets
    }
    return EvalReport(
        benchmark=spec.name,
        protocol=protocol,
        rows=len(records),
        scored=len(scored),
        failed=sum(record.failed is not None for record in records),
        first_failure=next((record.failed for record in records if record.failed is not None), ""),
        missing=sum(record.missing for record in records),
        accuracy=overall[protocol],
        accuracy_by_protocol={name: overall[name] for name in PROTOCOLS},
        correct_by_protocol={name: sum(bool(getattr(r, f"correct_{name}")) for r in records) for name in PROTOCOLS},
        breakdowns={
            column: _grouped(records, lambda record, c=column: record.breakdown.get(c, "unknown"))
            for column in spec.breakdowns
        },
        subsets=subsets,
        worst_case=_worst_case(records),
        by_question_type=_grouped(records, lambda record: str(record.question_type or "unknown")),
        no_answer_share=sum(record.extracted is None for record in scored) / count,
        hit_max_tokens_share=sum(record.hit_max_tokens for record in scored) / count,
        response_tokens={
            "mean": statistics.fmean(tokens) if tokens else 0.0,
            "median": statistics.median(tokens) if tokens else 0.0,
        },
        markers_per_response={
            name: sum(record.markers.get(name, 0) for record in scored) / count for name in MARKER_NAMES
        },
        invalid_rows=invalid_rows,
        judged_rows=judged_rows,
    )
