"""``vision-r1 data overlap``: index the benchmark files, stream every training file past the index, report.

Writes ``OUT/overlap.json`` (per benchmark: rows indexed, rows found in training by kind and the share; per training
file: the row account), ``OUT/pairs.jsonl`` (one line per benchmark row / training row / kind) and
``OUT/image_other_answer.jsonl`` (image matches not counted because the two rows' answers contradict: one line per
benchmark row / training row, with both answers, for review). With
``write_clean`` each training file also gets a decontaminated copy in ``OUT/clean/<stem>/`` in its own format,
with ``removed.jsonl`` (every row left out: the overlapping ones with their matches, the unreadable ones with their
reason): kept + filtered (overlap) + rejected = input, checked.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from vision_r1_plugins.core.accounting import CountedRows, RowAccount
from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.core.exclusion import OVERLAP_REASON
from vision_r1_plugins.core.files import write_json_atomically, write_text_atomically
from vision_r1_plugins.core.problems import ProblemColumns
from vision_r1_plugins.core.rows import count_rows
from vision_r1_plugins.overlap.image_index import ImageHasher
from vision_r1_plugins.overlap.index import (
    KINDS,
    BenchmarkIndex,
    ImageStats,
    IndexConfig,
    Match,
    OtherAnswer,
    load_index,
)
from vision_r1_plugins.overlap.training import (
    ShareGPTColumns,
    TrainFormat,
    TrainingReject,
    TrainingRow,
    read_training,
)

__all__ = ["BenchmarkSummary", "OverlapConfig", "OverlapReport", "TrainingSummary", "check_overlap"]

SUMMARY_NAME, PAIRS_NAME, CLEAN_DIR, REMOVED_NAME = "overlap.json", "pairs.jsonl", "clean", "removed.jsonl"
OTHER_ANSWER_NAME = "image_other_answer.jsonl"


@dataclass(frozen=True)
class OverlapConfig:
    """What :func:`check_overlap` reads and writes: training files, benchmark files (``NAME=PATH`` or ``PATH``),
    the output folder, the index settings, whether to write decontaminated copies, the training format (None:
    detected per file) and a problems file's columns."""

    train: tuple[Path, ...]
    benchmarks: tuple[str, ...]
    out_dir: Path
    index: IndexConfig = field(default_factory=IndexConfig)
    write_clean: bool = False
    train_format: TrainFormat | None = None
    columns: ProblemColumns | None = None
    batch_rows: int = 256  # rows whose images are hashed together (in the worker processes)

    def __post_init__(self) -> None:
        if not self.train:
            raise UsageError("give at least one training file: --train FILE")
        if not self.benchmarks:
            raise UsageError("give at least one benchmark file: --benchmark [NAME=]FILE")
        if self.batch_rows < 1:
            raise UsageError(f"batch_rows must be >= 1, got {self.batch_rows}")


@dataclass
class BenchmarkSummary:
    """One benchmark file: rows read, indexed and rejected, its images, and the rows found in training."""

    label: str
    layout: str
    path: Path
    rows_read: int
    indexed: int
    rejected: dict[str, int]
    examples: list[str]
    image_problems: dict[str, int]
    images: ImageStats
    short_text: int
    template_text: int
    found: dict[str, set[str]] = field(default_factory=lambda: {kind: set() for kind in KINDS})
    other_answer: int = 0  # image candidates discounted: the answers contradict (benchmark row / training row pairs)

    @property
    def found_rows(self) -> int:
        return len(set().union(*self.found.values()))

    @property
    def share(self) -> float:
        """Rows found in training / rows indexed."""
        return self.found_rows / self.indexed if self.indexed else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "benchmark": self.label,
            "layout": self.layout,
            "path": str(self.path),
            "rows_read": self.rows_read,
            "rows_indexed": self.indexed,
            "rejected": self.rejected,
            "examples": self.examples,
            "rows_without_their_image": self.image_problems,
            "images": {"hashed": self.images.hashed, "skipped": self.images.skipped},
            "short_text_rows": self.short_text,
            "template_text_rows": self.template_text,
            "found": self.found_rows,
            "share": round(self.share, 6),
            "found_by_kind": {kind: len(ids) for kind, ids in self.found.items()},
            "image_same_figure_other_answer": self.other_answer,
        }


@dataclass
class TrainingSummary(CountedRows):
    """One training file: its format, the row account (``filtered`` holds the overlapping rows), its images and
    the decontaminated copy, if written."""

    path: Path
    format: str
    rows: RowAccount = field(default_factory=RowAccount)
    images: ImageStats = field(default_factory=ImageStats)
    pairs: int = 0
    other_answer: int = 0
    clean_path: Path | None = None
    removed_path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "format": self.format,
            **self.rows.to_dict(),
            "overlapping_rows": self.filtered_total,
            "pairs": self.pairs,
            "image_same_figure_other_answer": self.other_answer,
            "images": {"hashed": self.images.hashed, "skipped": self.images.skipped},
            "examples": [str(example) for example in self.rows.first_of_each_reason(6)],
            "clean": str(self.clean_path) if self.clean_path else None,
            "removed": str(self.removed_path) if self.removed_path else None,
        }


@dataclass
class OverlapReport:
    """What :func:`check_overlap` found and wrote, and how long each phase took."""

    benchmarks: list[BenchmarkSummary]
    training: list[TrainingSummary] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    index_seconds: float = 0.0
    train_seconds: float = 0.0
    summary_path: Path | None = None
    pairs_path: Path | None = None
    other_answer_path: Path | None = None

    @property
    def pairs(self) -> int:
        return sum(training.pairs for training in self.training)

    @property
    def other_answer(self) -> int:
        """Image candidates not counted because the answers contradict (see ``image_other_answer.jsonl``)."""
        return sum(training.other_answer for training in self.training)

    @property
    def any_overlap(self) -> bool:
        return any(benchmark.found_rows for benchmark in self.benchmarks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "settings": self.settings,
            "benchmarks": [benchmark.to_dict() for benchmark in self.benchmarks],
            "training": [training.to_dict() for training in self.training],
            "pairs": self.pairs,
            "pairs_path": str(self.pairs_path) if self.pairs_path else None,
            "image_same_figure_other_answer": self.other_answer,
            "image_other_answer_path": str(self.other_answer_path) if self.other_answer_path else None,
            "seconds": {"index": round(self.index_seconds, 3), "training": round(self.train_seconds, 3)},
        }


def _settings(config: OverlapConfig) -> dict[str, Any]:
    rules = config.index.text
    return {
        "text_threshold": rules.threshold,
        "min_tokens": rules.min_tokens,
        "max_shared": rules.max_shared,
        "shingle_words": rules.shingle_words,
        "num_perm": rules.num_perm,
        "images": config.index.images,
        "image_distance": config.index.image_distance,
    }


def _summaries(index: BenchmarkIndex) -> dict[str, BenchmarkSummary]:
    summaries = {}
    for benchmark in index.files:
        entries = [entry for entry, item in enumerate(index.entries) if item.benchmark == benchmark.label]
        summaries[benchmark.label] = BenchmarkSummary(
            benchmark.label,
            benchmark.layout,
            benchmark.path,
            benchmark.rows_read,
            len(benchmark.rows),
            dict(benchmark.rejected),
            list(benchmark.examples),
            dict(benchmark.image_problems),
            index.image_stats.get(benchmark.label, ImageStats()),
            sum(1 for entry in entries if entry in index.text.short),
            sum(1 for entry in entries if entry in index.text.shared),
        )
    return summaries


def _batches(rows: Iterator[TrainingRow | TrainingReject], size: int) -> Iterator[list[TrainingRow | TrainingReject]]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


class _CleanCopy:
    """The decontaminated copy of one training file, written in the file's own format, and ``removed.jsonl``.
    Relative image paths are rewritten against the copy's folder so that they still resolve."""

    def __init__(self, source: Path, folder: Path, train_format: TrainFormat, columns: ProblemColumns | None) -> None:
        if source.is_dir() or source.suffix not in (".jsonl", ".json", ".parquet"):
            raise UsageError(f"--write-clean copies .jsonl, .json and .parquet files, not {source}")
        folder.mkdir(parents=True, exist_ok=True)
        self.source, self.folder, self.format = source, folder, train_format
        self.path = folder / source.name
        self.removed_path = folder / REMOVED_NAME
        self.base = source.parent
        self.image_columns = (columns or ProblemColumns()).image_columns()
        self.removed: TextIO = self.removed_path.open("w", encoding="utf-8")
        self.buffer: list[Any] = []
        self.sharegpt: ShareGPTColumns | None = None
        self._writer: Any = None
        self._jsonl: TextIO | None = self.path.open("w", encoding="utf-8") if source.suffix == ".jsonl" else None

    def _relocated(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._relocated(item) for item in value]
        if isinstance(value, str) and value and not Path(value).is_absolute():
            return os.path.relpath(self.base / value, self.folder)
        return value

    def _rewrite(self, raw: Any) -> Any:
        if not isinstance(raw, dict) or self.format is TrainFormat.VERL:
            return raw  # verl rows carry their image bytes
        if self.format is TrainFormat.BRIDGE_KEPT and isinstance(raw.get("row"), dict):
            return {**raw, "row": self._rewrite_sharegpt(raw["row"])}
        if self.format is TrainFormat.SHAREGPT:
            return self._rewrite_sharegpt(raw)
        return {**raw, **{name: self._relocated(raw[name]) for name in self.image_columns if name in raw}}

    def _rewrite_sharegpt(self, row: dict[str, Any]) -> dict[str, Any]:
        columns = ShareGPTColumns.of(row)
        self.sharegpt = self.sharegpt or columns
        return {**row, columns.images: self._relocated(row[columns.images])} if columns.images in row else row

    def keep(self, raw: Any) -> None:
        row = self._rewrite(raw)
        if self._jsonl is not None:
            self._jsonl.write(json.dumps(row, ensure_ascii=False) + "\n")
            return
        self.buffer.append(row)
        if self.source.suffix == ".parquet" and len(self.buffer) >= 256:
            self._flush_parquet()

    def _flush_parquet(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, pq.ParquetFile(self.source).schema_arrow)
        if self.buffer:
            self._writer.write_table(pa.Table.from_pylist(self.buffer, schema=self._writer.schema))
            self.buffer = []

    def remove(self, record: dict[str, Any]) -> None:
        self.removed.write(json.dumps(record, ensure_ascii=False) + "\n")

    def close(self, complete: bool = True) -> None:
        """Finish the copy; an incomplete one (the check failed midway) is deleted, never left to pass as clean."""
        self.removed.close()
        if not complete:
            if self._jsonl is not None:
                self._jsonl.close()
            if self._writer is not None:
                self._writer.close()
            self.path.unlink(missing_ok=True)
            self.removed_path.unlink(missing_ok=True)
            return
        if self._jsonl is not None:
            self._jsonl.close()
        elif self.source.suffix == ".parquet":
            self._flush_parquet()
            self._writer.close()
        else:
            write_text_atomically(self.path, json.dumps(self.buffer, ensure_ascii=False, indent=1))
            if self.format is TrainFormat.SHAREGPT:
                # A LLaMA-Factory dataset_dir: the copy loads as `--dataset <stem>` with the same columns.
                columns = self.sharegpt or ShareGPTColumns()
                write_json_atomically(
                    self.folder / "dataset_info.json", {self.path.stem: columns.dataset_info(self.path.name)}
                )


def _clean_folder(out_dir: Path, source: Path, used: set[str]) -> Path:
    stem = source.stem or "train"
    name = stem
    for number in itertools.count(2):
        if name not in used:
            break
        name = f"{stem}-{number}"
    used.add(name)
    return out_dir / CLEAN_DIR / name


def _check_file(
    source: Path,
    index: BenchmarkIndex,
    summaries: dict[str, BenchmarkSummary],
    config: OverlapConfig,
    pairs: TextIO,
    other_answers: TextIO,
    hasher: ImageHasher,
    clean_folders: set[str],
    on_rows: Callable[[int], None] | None,
) -> TrainingSummary:
    train_format, rows = read_training(source, config.train_format, config.columns)
    summary = TrainingSummary(source, str(train_format))
    copy = (
        _CleanCopy(source, _clean_folder(config.out_dir, source, clean_folders), train_format, config.columns)
        if config.write_clean
        else None
    )

    def check(batch: list[TrainingRow | TrainingReject], hashed: Iterator[Any]) -> None:
        for row in batch:
            summary.rows.add_input()
            if isinstance(row, TrainingReject):
                summary.rows.reject(row.reason, f"row {row.index} ({row.id})", row.detail)
                if copy is not None:
                    copy.remove({"index": row.index, "id": row.id, "reason": row.reason, "detail": row.detail})
                continue
            hashes = [next(hashed) for _ in row.images] if config.index.images else []
            for item in hashes:
                summary.images.count(item)
            found = index.find(row.question, row.choices, hashes, row.answer)
            for other in found.other_answer:
                _record_other(source, row, other, summary, summaries, other_answers)
            if found.matches:
                _record(source, row, found.matches, summary, summaries, pairs, copy)
            else:
                summary.rows.keep()
                if copy is not None:
                    copy.keep(row.raw)
        if on_rows is not None:
            on_rows(len(batch))

    try:
        # One batch ahead: the worker processes hash its images while this process matches the previous batch.
        pending: tuple[list[TrainingRow | TrainingReject], Callable[[], list[Any]]] | None = None
        for batch in _batches(rows, config.batch_rows):
            readable = [row for row in batch if isinstance(row, TrainingRow)]
            sources = [image for row in readable for image in row.images] if config.index.images else []
            job = hasher.submit(sources)
            if pending is not None:
                check(pending[0], iter(pending[1]()))
            pending = (batch, job)
        if pending is not None:
            check(pending[0], iter(pending[1]()))
    except BaseException:
        if copy is not None:
            copy.close(complete=False)
        raise
    if copy is not None:
        copy.close()
        summary.clean_path, summary.removed_path = copy.path, copy.removed_path
    summary.rows.check_balance()
    return summary


def _record(
    source: Path,
    row: TrainingRow,
    matches: list[Match],
    summary: TrainingSummary,
    summaries: dict[str, BenchmarkSummary],
    pairs: TextIO,
    copy: _CleanCopy | None,
) -> None:
    best = matches[0]
    summary.rows.filter(OVERLAP_REASON, f"row {row.index} ({row.id})", best.describe())
    summary.pairs += len(matches)
    for match in matches:
        summaries[match.benchmark].found[match.kind].add(match.row_id)
        record = {
            "benchmark": match.benchmark,
            "benchmark_row": match.row_id,
            "train_file": str(source),
            "train_index": row.index,
            "train_id": row.id,
            "kind": match.kind,
            "similarity": round(match.similarity, 4),
            "detail": match.detail,
        }
        pairs.write(json.dumps(record, ensure_ascii=False) + "\n")
    if copy is not None:
        found = [
            {"benchmark": m.benchmark, "row_id": m.row_id, "kind": m.kind, "similarity": round(m.similarity, 4)}
            for m in matches
        ]
        copy.remove({"index": row.index, "id": row.id, "reason": OVERLAP_REASON, "matches": found})


def _record_other(
    source: Path,
    row: TrainingRow,
    other: OtherAnswer,
    summary: TrainingSummary,
    summaries: dict[str, BenchmarkSummary],
    out: TextIO,
) -> None:
    summary.other_answer += 1
    summaries[other.benchmark].other_answer += 1
    record = {
        "benchmark": other.benchmark,
        "benchmark_row": other.row_id,
        "train_file": str(source),
        "train_index": row.index,
        "train_id": row.id,
        "distance": other.distance,
        "similarity": round(other.similarity, 4),
        "benchmark_answer": other.benchmark_answer.describe(),
        "benchmark_choices": list(other.benchmark_answer.choices or ()) or None,
        "train_answer": other.train_answer.describe(),
        "train_choices": list(other.train_answer.choices or ()) or None,
        "detail": other.detail,
    }
    out.write(json.dumps(record, ensure_ascii=False) + "\n")


def check_overlap(
    config: OverlapConfig,
    on_file: Callable[[Path, int | None], None] | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> OverlapReport:
    """Index the benchmarks, check every training file, write the report (and copies); see the module docstring.
    ``on_file(path, rows or None)`` before each training file, ``on_rows(n)`` after every n rows checked."""
    for source in config.train:
        if not Path(source).exists():
            raise UsageError(f"training file not found: {source}")
    started = time.perf_counter()
    index = load_index(config.benchmarks, config.index)
    summaries = _summaries(index)
    report = OverlapReport(list(summaries.values()), settings=_settings(config))
    report.index_seconds = time.perf_counter() - started
    config.out_dir.mkdir(parents=True, exist_ok=True)
    report.pairs_path = config.out_dir / PAIRS_NAME
    report.other_answer_path = config.out_dir / OTHER_ANSWER_NAME
    started = time.perf_counter()
    clean_folders: set[str] = set()
    with (
        report.pairs_path.open("w", encoding="utf-8") as pairs,
        report.other_answer_path.open("w", encoding="utf-8") as other_answers,
        ImageHasher(config.index.workers) as hasher,
    ):
        for source in map(Path, config.train):
            if on_file is not None:
                on_file(source, count_rows(source) if source.suffix in (".jsonl", ".parquet") else None)
            summary = _check_file(
                source, index, summaries, config, pairs, other_answers, hasher, clean_folders, on_rows
            )
            report.training.append(summary)
    report.train_seconds = time.perf_counter() - started
    report.summary_path = write_json_atomically(config.out_dir / SUMMARY_NAME, report.to_dict())
    return report
