"""``vision-r1 eval``: generate answers for a benchmark file, score them without a judge model, summarise.

Generation goes through the shared backends (an OpenAI-compatible server such as ``vllm serve``, a local
transformers model, or vLLM), concurrently and resumably: every response is appended to ``responses.jsonl`` as it
arrives, keyed by (row id, sampling settings, model), and ``--resume`` reuses them. Scoring follows MathVista's
official normalisation plus math-verify for free-form answers (:mod:`vision_r1_plugins.eval.scoring`).
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.core.problems import Problem, Rejection, field_value, read_problems_with_rows
from vision_r1_plugins.core.store import ResultStore
from vision_r1_plugins.eval.benchmarks import BenchmarkSpec, get_benchmark
from vision_r1_plugins.eval.records import ROWS_FILE, EvalRecord, write_records
from vision_r1_plugins.eval.scoring import EvalItem, score_item
from vision_r1_plugins.generation import MARKER_NAMES, Backend, RequestFailed, chat_messages, reflection_markers

SCORING_TIMEOUT = 10.0


@dataclass(frozen=True)
class EvalRow:
    problem: Problem
    item: EvalItem

    @property
    def id(self) -> str:
        return self.problem.id


@dataclass(frozen=True)
class EvalConfig:
    benchmark_path: Path
    out_dir: Path
    benchmark: str = "vision_r1"
    resume: bool = False
    limit: int | None = None
    system_prompt: str | None = None
    concurrency: int = 16


@dataclass
class EvalReport:
    rows: int
    scored: int
    failed: int
    accuracy: float
    by_category: dict[str, dict[str, float]]
    by_question_type: dict[str, dict[str, float]]
    no_answer_share: float
    hit_max_tokens_share: float
    response_tokens: dict[str, float]
    markers_per_response: dict[str, float]
    invalid_rows: int = 0
    paths: dict[str, str] = field(default_factory=dict)


def eval_row(raw: Any, problem: Problem, spec: BenchmarkSpec) -> EvalRow:
    """A problem read by the shared reader, with the benchmark's scoring fields from its raw row."""
    precision = field_value(raw, spec.precision)
    item = EvalItem(
        question=problem.question, answer=problem.answer, choices=problem.choices,
        question_type=str(field_value(raw, spec.question_type) or "free_form").replace("-", "_"),
        answer_type=str(field_value(raw, spec.answer_type) or "text"),
        precision=int(precision) if isinstance(precision, int | float) and math.isfinite(precision) else None,
        category=field_value(raw, spec.category),
    )  # fmt: skip
    return EvalRow(problem, item)


def read_benchmark(path: Path, spec: BenchmarkSpec, limit: int | None = None) -> tuple[list[EvalRow], list[Rejection]]:
    rows: list[EvalRow] = []
    invalid: list[Rejection] = []
    for raw, problem in read_problems_with_rows(path, spec.columns()):
        if limit is not None and problem.index >= limit:
            break
        if isinstance(problem, Rejection):
            invalid.append(problem)
        else:
            rows.append(eval_row(raw, problem, spec))
    return rows, invalid


def sampling_key(backend: Backend) -> str:
    """Part of each cached response's key: other sampling settings are another run."""
    return hashlib.sha256(json.dumps(asdict(backend.sampling), sort_keys=True).encode()).hexdigest()[:12]


async def _generate(config: EvalConfig, rows: list[EvalRow], backend: Backend, store: ResultStore,
                    on_progress: Callable[[int], None] | None) -> dict[str, dict[str, Any] | str]:  # fmt: skip
    key_part = sampling_key(backend)
    limiter = asyncio.Semaphore(config.concurrency)
    results: dict[str, dict[str, Any] | str] = {}

    async def one(row: EvalRow) -> None:
        key = (row.id, "eval", key_part, backend.model)
        cached = store.get(key)
        if cached is None:
            messages = chat_messages(row.problem.question, row.problem.images, config.system_prompt)
            try:
                async with limiter:
                    result = await backend.complete(messages)
            except RequestFailed as error:
                results[row.id] = f"request_failed: {error}"
                if on_progress:
                    on_progress(1)
                return
            cached = {"response": result.text, "finish_reason": result.finish_reason,
                      "tokens": result.completion_tokens}  # fmt: skip
            store.put(key, cached)
        results[row.id] = cached
        if on_progress:
            on_progress(1)

    try:
        await asyncio.gather(*(one(row) for row in rows))
    finally:
        await backend.aclose()
    return results


def evaluate(config: EvalConfig, backend: Backend, on_progress: Callable[[int], None] | None = None) -> EvalReport:
    spec = get_benchmark(config.benchmark)
    out = Path(config.out_dir)
    rows, invalid = read_benchmark(Path(config.benchmark_path), spec, config.limit)
    ids = [row.id for row in rows]
    if len(set(ids)) != len(ids):
        duplicated = [item for item, n in Counter(ids).items() if n > 1][:5]
        raise UsageError(f"duplicate ids in {config.benchmark_path}: {duplicated}")
    out.mkdir(parents=True, exist_ok=True)
    store = ResultStore(out / "responses.jsonl", resume=config.resume)
    try:
        responses = asyncio.run(_generate(config, rows, backend, store, on_progress))
    finally:
        store.close()
    return _score_and_write(rows, invalid, responses, out)


def _record(row: EvalRow, response: dict[str, Any] | str | None) -> EvalRecord:
    item = row.item
    if not isinstance(response, dict):
        return EvalRecord(id=row.id, correct=False, response_tokens=0, category=item.category,
                          question_type=item.question_type, answer_type=item.answer_type, answer=item.answer,
                          failed=str(response))  # fmt: skip
    text = response["response"]
    # The deadline routes math-verify through the reward's killable workers: one pathological answer (a power
    # tower) must not stall a whole evaluation.
    scored = score_item(text, item, timeout=SCORING_TIMEOUT)
    return EvalRecord(
        id=row.id, correct=scored.correct, response_tokens=response.get("tokens") or len(text.split()),
        category=item.category, question_type=item.question_type, answer_type=item.answer_type, answer=item.answer,
        extracted=scored.extracted, normalized=scored.normalized, method=scored.method,
        hit_max_tokens=response.get("finish_reason") == "length", markers=reflection_markers(text), response=text,
    )  # fmt: skip


CSV_COLUMNS = ["id", "category", "question_type", "answer_type", "answer", "extracted", "normalized", "method",
               "correct", "response_tokens", "hit_max_tokens"]  # fmt: skip


def _score_and_write(rows: list[EvalRow], invalid: list[Rejection], responses: dict[str, Any],
                     out: Path) -> EvalReport:  # fmt: skip
    records = [_record(row, responses.get(row.id)) for row in rows]
    scored = [record for record in records if record.scored]
    write_records(out / ROWS_FILE, records)
    with (out / "results.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(record.to_dict() for record in scored)
    with (out / "invalid.jsonl").open("w", encoding="utf-8") as handle:
        for rejection in invalid:
            entry = {"index": rejection.index, "id": rejection.id, "reason": str(rejection.reason),
                     "detail": rejection.detail}  # fmt: skip
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def grouped(key: str) -> dict[str, dict[str, float]]:
        groups: dict[str, list[bool]] = defaultdict(list)
        for record in scored:
            groups[str(getattr(record, key) or "unknown")].append(record.correct)
        return {
            name: {"rows": len(values), "accuracy": sum(values) / len(values)}
            for name, values in sorted(groups.items())
        }

    count = max(len(scored), 1)
    tokens = [record.response_tokens for record in scored]
    report = EvalReport(
        rows=len(rows), scored=len(scored), failed=len(records) - len(scored),
        accuracy=sum(record.correct for record in scored) / count,
        by_category=grouped("category"), by_question_type=grouped("question_type"),
        no_answer_share=sum(record.extracted is None for record in scored) / count,
        hit_max_tokens_share=sum(record.hit_max_tokens for record in scored) / count,
        response_tokens={"mean": statistics.fmean(tokens) if tokens else 0.0,
                         "median": statistics.median(tokens) if tokens else 0.0},
        markers_per_response={name: sum(record.markers.get(name, 0) for record in scored) / count
                              for name in MARKER_NAMES},
        invalid_rows=len(invalid),
        paths={"rows": str(out / ROWS_FILE), "csv": str(out / "results.csv"), "summary": str(out / "summary.json")},
    )  # fmt: skip
    (out / "summary.json").write_text(json.dumps(report.__dict__, indent=2) + "\n", encoding="utf-8")
    return report
