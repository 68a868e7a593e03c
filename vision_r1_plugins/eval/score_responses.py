"""``vision-r1 eval score``: score responses that already exist against a benchmark file.

Every row of the benchmark gets a record: rows with no response count as wrong and are reported as
missing; responses to ids the benchmark does not have are counted and reported, never scored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vision_r1_plugins.core.accounting import RowAccount
from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.eval.benchmark_file import EvalRow, read_benchmark
from vision_r1_plugins.eval.llm_extractor import JudgeConfig, judge_answers
from vision_r1_plugins.eval.response_files import read_responses
from vision_r1_plugins.eval.row_record import EvalRecord
from vision_r1_plugins.eval.run_folder import (
    PROTOCOLS,
    EvalReport,
    extraction_of,
    score_row,
    unscored_record,
    write_run,
)
from vision_r1_plugins.eval.tasks import get_benchmark
from vision_r1_plugins.generation import Backend, BackendConfig, Sampling, make_backend


@dataclass(frozen=True)
class ScoreConfig:
    """What :func:`score_responses` scores: a JSONL of responses (``id``, ``response``), the benchmark's name and
    file, the run folder to write, the headline protocol and an optional judge model for unextractable answers.

    >>> config = ScoreConfig(Path("responses.jsonl"), "mathvista_testmini", Path("testmini.parquet"), Path("scored"))
    """

    responses: Path
    benchmark: str
    data: Path
    out: Path
    protocol: str = "official"
    judge: JudgeConfig | None = None


@dataclass
class ScoreOutcome:
    """The scored run plus what did not match: responses to ids the benchmark lacks, duplicate ids, unreadable
    lines and judge requests that failed."""

    report: EvalReport
    unmatched: int  # responses whose id no benchmark row has
    duplicates: int
    unreadable: int
    judge_failures: int = 0
    # Every response row read: kept (it names a benchmark row) or rejected by reason (invalid_json, invalid_row,
    # no_response, no_id, duplicate_id, unmatched); input == kept + rejected.
    responses: RowAccount = field(default_factory=RowAccount)


def check_protocol(protocol: str) -> str:
    if protocol not in PROTOCOLS:
        raise UsageError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")
    return protocol


def score_responses(config: ScoreConfig, on_progress: Callable[[int], None] | None = None) -> ScoreOutcome:
    """Score existing responses against a benchmark file and write the run folder (as ``vision-r1 eval score``).

    Every benchmark row gets a record (no response: wrong, counted as missing). Works inside a running event loop.

    >>> outcome = score_responses(ScoreConfig(Path("responses.jsonl"), "vision_r1", Path("bench.jsonl"), Path("run")))
    ... # doctest: +SKIP
    >>> outcome.report.accuracy, outcome.unmatched  # doctest: +SKIP
    (0.5, 0)
    """
    protocol = check_protocol(config.protocol)
    spec = get_benchmark(config.benchmark)
    rows, invalid = read_benchmark(config.data, spec, images=False)
    if not rows:
        raise UsageError(
            f"{config.data}: no scorable rows for benchmark {spec.name} ({len(invalid)} invalid; "
            f"see the layout in `vision-r1 eval benchmarks`)"
        )
    known = {row.id for row in rows}
    # Only responses to the benchmark's ids are held: the responses file may be far larger than the benchmark.
    found = read_responses(config.responses, spec.id, known)
    matched = {index: found.lookup(row.id, row.problem.index) for index, row in enumerate(rows)}
    unmatched = len(found.unknown_ids)
    if all(response is None for response in matched.values()):
        sample = ", ".join(found.ids[:3])
        raise UsageError(
            f"no response in {config.responses} matches a row of {config.data} by {spec.id!r} "
            f"(responses have ids like {sample}); is --benchmark right?"
        )
    answered = {index: response for index, response in matched.items() if response is not None}
    extractions = {index: extraction_of(rows[index], response) for index, response in answered.items()}
    judged: dict[str, str | None] = {}
    judge_failures = 0
    if config.judge is not None:
        pending = [
            (rows[index], answered[index].text)
            for index, extraction in extractions.items()
            if extraction.text is None and answered[index].text.strip()
        ]
        if pending:
            backend = _judge_backend(config.judge)
            judged, judge_failures = judge_answers(pending, backend, config.judge, config.out, on_progress)
    records: list[EvalRecord] = []
    for index, row in enumerate(rows):
        response = matched[index]
        if response is None:
            records.append(unscored_record(row, missing=True))
        else:
            judge = _lookup(judged) if judged else None
            records.append(score_row(row, response, spec, judge, extraction=extractions[index]))
        if on_progress:
            on_progress(1)
    judged_rows = sum(record.method == "judge" for record in records)
    report = write_run(config.out, spec, rows, records, invalid, protocol, judged_rows=judged_rows)
    account = found.rows
    if unmatched:  # read and kept, but no benchmark row has their id
        example = next(iter(found.unknown_ids))
        account.reject_kept("unmatched", unmatched, f"id {example}", f"no row of {config.data} has this id")
    account.check_balance()
    return ScoreOutcome(report, unmatched, found.duplicates, found.unreadable, judge_failures, account)


def _lookup(judged: dict[str, str | None]) -> Callable[[EvalRow, str], str | None]:
    return lambda row, response: judged.get(row.id)


def _judge_backend(config: JudgeConfig) -> Backend:
    # Room for a judge that reasons before it answers; the answer is read from the end of its reply.
    sampling = Sampling(temperature=0.0, top_p=1.0, max_tokens=1024)
    return make_backend(
        BackendConfig(
            "openai", config.model, config.base_url, config.api_key_env, sampling, config.concurrency, config.timeout
        )
    )
