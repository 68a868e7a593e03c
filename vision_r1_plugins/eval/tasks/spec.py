"""What a registered benchmark is: how its rows map onto an :class:`EvalItem`, and its official rule.

Column names may be dotted (``metadata.category``) to reach into nested fields; ``images`` and ``prompt`` list
candidate columns, the first present one wins (MathVista ships both a decoded image and its path).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.problems import Problem, ProblemColumns, field_value
from vision_r1_plugins.core.registry import Registry
from vision_r1_plugins.core.rows import read_rows
from vision_r1_plugins.eval.extraction import Extraction
from vision_r1_plugins.eval.items import EvalItem


@dataclass(frozen=True)
class OfficialResult:
    correct: bool
    normalized: str | None  # the answer as the official rule normalised it, None when it could not


# (the raw response, what the rules extracted from it, the row) -> the official verdict.
OfficialRule = Callable[[str, Extraction, EvalItem], OfficialResult]
# (the raw row, the problem the shared reader made of it, the spec) -> the row's scoring fields.
ItemBuilder = Callable[[dict[str, Any], Problem, "BenchmarkSpec"], EvalItem]


@dataclass(frozen=True)
class Subset:
    """Rows reported on their own as well: MathVerse's vision-only version is a column of the paper's table."""

    name: str
    column: str
    value: str


def default_item(raw: dict[str, Any], problem: Problem, spec: BenchmarkSpec) -> EvalItem:
    precision = field_value(raw, spec.precision)
    return EvalItem(
        question=problem.question,
        answer=problem.answer,
        choices=problem.choices,
        question_type=str(field_value(raw, spec.question_type) or "free_form").replace("-", "_"),
        answer_type=str(field_value(raw, spec.answer_type) or "text"),
        precision=int(precision) if isinstance(precision, int | float) and math.isfinite(precision) else None,
        category=_text(field_value(raw, spec.breakdowns[0])) if spec.breakdowns else None,
    )


@dataclass(frozen=True)
class BenchmarkSpec:
    """One benchmark: its name, its file layout (which columns hold the id, question, images and answer) and its
    official scoring rule. Register your own with :func:`register_benchmark`; ``vision-r1 eval benchmarks`` lists
    them."""

    name: str
    description: str  # one line: the source layout and the official rule
    official: OfficialRule
    id: str = "id"
    prompt: tuple[str, ...] = ("query", "problem", "question")  # what the model is asked (first present column)
    images: tuple[str, ...] = ("images", "image")
    answer: str = "answer"
    choices: str | None = "choices"
    question_type: str | None = "question_type"
    answer_type: str | None = "answer_type"
    precision: str | None = "precision"
    # Columns the papers break results down by; the first is the row's "category" in rows.jsonl.
    breakdowns: tuple[str, ...] = ()
    to_item: ItemBuilder = default_item
    # A column tying a seed question's variants together (DynaMath): worst-case accuracy counts a seed
    # question only if every one of its variants is right.
    group: str | None = None
    subsets: tuple[Subset, ...] = ()
    # The raw rows of a benchmark path; DynaMath's reads its ten variant files from one folder.
    read: Callable[[Path], Iterator[Any]] = read_rows

    def columns(self, images: bool = True) -> ProblemColumns:
        """The shared reader's columns; benchmark rows may have no image (text-only questions). Scoring needs
        no images, so ``images=False`` reads rows whose image files are elsewhere."""
        return ProblemColumns(
            images=self.images if images else (),
            question=self.prompt,
            answer=self.answer,
            choices=self.choices,
            id=self.id,
            require_image=False,
        )

    def item(self, raw: dict[str, Any], problem: Problem) -> EvalItem:
        return self.to_item(raw, problem, self)

    def breakdown(self, raw: dict[str, Any]) -> dict[str, str]:
        return {column: _text(field_value(raw, column)) or "unknown" for column in self.breakdowns}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(part) for part in value) or None
    return str(value)


BENCHMARKS: Registry[BenchmarkSpec] = Registry("benchmark")


def register_benchmark(spec: BenchmarkSpec) -> BenchmarkSpec:
    """Add ``spec`` to the registry (``--benchmark NAME``, :func:`get_benchmark`) and return it."""
    return BENCHMARKS.register(spec.name, spec)


def get_benchmark(name: str) -> BenchmarkSpec:
    """The registered benchmark called ``name``; a :class:`~vision_r1_plugins.core.errors.UsageError` naming the
    registered ones otherwise.

    >>> get_benchmark("mathvista_testmini").name
    'mathvista_testmini'
    """
    return BENCHMARKS.require(name)
