"""The benchmark index: every row of the benchmark files, by text and by image, queried one training row at a time.

:func:`load_index` builds it; :class:`BenchmarkIndex` answers :meth:`~BenchmarkIndex.match` (every matching
benchmark row, for the report) and :meth:`~BenchmarkIndex.match_problem` (the strongest one, the
:class:`~vision_r1_plugins.core.exclusion.Excluder` protocol that ``bridge`` and ``rl-data`` use).

An image match counts only when the two rows' answers do not contradict (:mod:`~vision_r1_plugins.overlap.
answer_check`): template figures that differ in a small label, and figures reused by another question, look alike to
a perceptual hash. :meth:`~BenchmarkIndex.find` returns the discounted candidates too, for the user to review.
Text matches are not checked: they already need the same words and numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vision_r1_plugins.core.exclusion import OverlapMatch
from vision_r1_plugins.core.problems import Problem
from vision_r1_plugins.overlap.answer_check import RowAnswer, answers_contradict, row_answer
from vision_r1_plugins.overlap.benchmarks import BenchmarkFile, parse_benchmark_arg, read_benchmark_rows
from vision_r1_plugins.overlap.image_index import ImageHasher, ImageHashes, ImageIndex, ImageSkip
from vision_r1_plugins.overlap.normalize import normalise
from vision_r1_plugins.overlap.text_index import TextIndex, TextRules

__all__ = [
    "IMAGE",
    "TEXT_EXACT",
    "TEXT_NEAR",
    "BenchmarkIndex",
    "Found",
    "IndexConfig",
    "Match",
    "OtherAnswer",
    "load_index",
]

TEXT_EXACT, TEXT_NEAR, IMAGE = "text_exact", "text_near", "image"
KINDS = (TEXT_EXACT, TEXT_NEAR, IMAGE)
_STRENGTH = {TEXT_EXACT: 0, IMAGE: 1, TEXT_NEAR: 2}  # which match of a pair to name first


@dataclass(frozen=True)
class IndexConfig:
    """How the index matches: the text rules (:class:`TextRules`), the largest Hamming distance of an image match
    (of 64 bits), whether images are compared at all, and the processes that hash images."""

    text: TextRules = field(default_factory=TextRules)
    image_distance: int = 6
    images: bool = True
    workers: int = 1


@dataclass(frozen=True)
class Entry:
    """An indexed benchmark row."""

    benchmark: str
    row_id: str
    answer: RowAnswer | None = None


# A benchmark row a training row overlaps: the features' protocol type, kind text_exact, text_near or image.
Match = OverlapMatch


@dataclass(frozen=True)
class OtherAnswer:
    """An image match not counted: the benchmark row's and the training row's answers contradict."""

    benchmark: str
    row_id: str
    distance: int
    detail: str
    benchmark_answer: RowAnswer
    train_answer: RowAnswer

    @property
    def similarity(self) -> float:
        return 1.0 - self.distance / 64


@dataclass(frozen=True)
class Found:
    """What :meth:`BenchmarkIndex.find` finds for one training row: the matches (strongest first) and the image
    candidates discounted because the answers contradict."""

    matches: list[Match]
    other_answer: list[OtherAnswer]


@dataclass
class ImageStats:
    """Images seen on one side: hashed, and skipped by reason (degenerate, unreadable)."""

    hashed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def count(self, result: ImageHashes | ImageSkip) -> None:
        if isinstance(result, ImageSkip):
            self.skipped[result.reason] = self.skipped.get(result.reason, 0) + 1
        else:
            self.hashed += 1


class BenchmarkIndex:
    """The indexed benchmark rows (see :func:`load_index`)."""

    def __init__(self, config: IndexConfig, files: list[BenchmarkFile]) -> None:
        self.config = config
        self.files = files
        self.entries: list[Entry] = []
        self.text = TextIndex(config.text)
        self.images = ImageIndex(config.image_distance)
        self.image_stats: dict[str, ImageStats] = {}

    def _build(self, hasher: ImageHasher) -> None:
        for benchmark in self.files:
            stats = self.image_stats.setdefault(benchmark.label, ImageStats())
            pending: list[tuple[int, int, bytes | str]] = []
            for row in benchmark.rows:
                entry = len(self.entries)
                self.entries.append(Entry(benchmark.label, row.row_id, row.answer))
                if row.text is not None:
                    self.text.add(entry, row.text, benchmark.label)
                if self.config.images:
                    for number, ref in enumerate(row.images):
                        pending.append((entry, number, ref.data if ref.data is not None else str(ref.path)))
            for (entry, number, _), hashes in zip(pending, hasher.map([item[2] for item in pending]), strict=True):
                stats.count(hashes)
                if isinstance(hashes, ImageHashes):
                    self.images.add(entry, number, hashes)
        self.text.freeze()
        self.images.freeze()

    def __len__(self) -> int:
        return len(self.entries)

    def match(
        self,
        question: str,
        choices: Sequence[str] | None,
        hashes: Sequence[ImageHashes | ImageSkip] = (),
        answer: RowAnswer | None = None,
    ) -> list[Match]:
        """Every benchmark row matching a training row (its question, options, image hashes and answer),
        strongest first: one :class:`Match` per benchmark row and kind."""
        return self.find(question, choices, hashes, answer).matches

    def find(
        self,
        question: str,
        choices: Sequence[str] | None,
        hashes: Sequence[ImageHashes | ImageSkip] = (),
        answer: RowAnswer | None = None,
    ) -> Found:
        """:meth:`match`, and the image candidates discounted because their answers contradict ``answer``."""
        found: list[Match] = []
        other: list[OtherAnswer] = []
        text = normalise(question, choices)
        for hit in self.text.query(text) if not text.is_empty() else []:
            entry = self.entries[hit.entry]
            kind = TEXT_EXACT if hit.exact else TEXT_NEAR
            detail = "same normalised text" if hit.exact else f"Jaccard {hit.similarity:.3f} of word 3-gram shingles"
            found.append(Match(entry.benchmark, entry.row_id, kind, hit.similarity, detail))
        usable = [(number, item) for number, item in enumerate(hashes) if isinstance(item, ImageHashes)]
        seen: set[int] = set()
        for (number, _), hits in zip(usable, self.images.query_many(item for _, item in usable), strict=True):
            for image_hit in hits:
                if image_hit.entry in seen:
                    continue
                seen.add(image_hit.entry)
                entry = self.entries[image_hit.entry]
                detail = (
                    f"image {number} vs benchmark image {image_hit.image}: phash {image_hit.distance}/64 bits apart"
                )
                # Only hash candidates reach the answer check (it runs the reward): never every row.
                if entry.answer is not None and answer is not None and answers_contradict(entry.answer, answer):
                    other.append(
                        OtherAnswer(entry.benchmark, entry.row_id, image_hit.distance, detail, entry.answer, answer)
                    )
                else:
                    found.append(Match(entry.benchmark, entry.row_id, IMAGE, image_hit.similarity, detail))
        found.sort(key=lambda match: (_STRENGTH[match.kind], -match.similarity, match.benchmark))
        return Found(found, other)

    def match_problem(self, problem: Problem) -> OverlapMatch | None:
        """The strongest overlap of ``problem`` with an indexed benchmark row, or None (the ``Excluder``
        protocol); an image match whose answer contradicts ``problem.answer`` does not count. Its images are
        hashed in this process."""
        from vision_r1_plugins.overlap.image_index import hash_image

        hashes = [hash_image(ref.read()) for ref in problem.images] if self.config.images else []
        answer = row_answer(problem.answer, problem.choices)
        matches = self.match(problem.question, problem.choices, hashes, answer)
        return matches[0] if matches else None


def load_index(benchmark_files: Sequence[str | Path], config: IndexConfig | None = None) -> BenchmarkIndex:
    """Read and index benchmark files, each ``NAME=PATH`` (a registered layout, see ``vision-r1 eval benchmarks``)
    or ``PATH`` (the layout detected from its first row).

    >>> index = load_index(["mathvista_testmini=testmini.json"])  # doctest: +SKIP
    >>> index.match_problem(problem)  # doctest: +SKIP
    OverlapMatch(benchmark='mathvista_testmini', row_id='12', kind='text_exact', similarity=1.0, detail='...')
    """
    config = config or IndexConfig()
    files: list[BenchmarkFile] = []
    labels: set[str] = set()
    for argument in benchmark_files:
        name, path = parse_benchmark_arg(str(argument))
        benchmark = read_benchmark_rows(name, path, images=config.images)
        if benchmark.label in labels:  # the same layout twice (testmini and test): told apart by file
            benchmark.label = f"{benchmark.label}:{path.name}"
        labels.add(benchmark.label)
        files.append(benchmark)
    index = BenchmarkIndex(config, files)
    with ImageHasher(config.workers) as hasher:
        index._build(hasher)
    return index
