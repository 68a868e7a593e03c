"""A benchmark file read into rows ready to ask and to score: one reader for ``eval`` and ``eval score``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from string import ascii_uppercase

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.core.problems import (
    Problem,
    Rejection,
    RejectReason,
    check_columns,
    field_value,
    to_problem,
)
from vision_r1_plugins.core.rows import InputError
from vision_r1_plugins.eval.items import EvalItem
from vision_r1_plugins.eval.tasks.spec import BenchmarkSpec

# The benchmark decides the question and answer columns; only the images can be renamed (`eval --image-column`).
EVAL_COLUMN_OPTIONS = {"question": "--benchmark", "answer": "--benchmark", "images": "--image-column"}


@dataclass(frozen=True)
class EvalRow:
    problem: Problem
    item: EvalItem
    breakdown: dict[str, str] = field(default_factory=dict)
    group: str | None = None  # the seed question a variant belongs to (DynaMath)
    subsets: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.problem.id


def read_benchmark(
    path: Path, spec: BenchmarkSpec, limit: int | None = None, *, images: bool = True
) -> tuple[list[EvalRow], list[Rejection]]:
    """Rows of ``path`` in the benchmark's layout, and the rows that cannot be scored, with their reason.

    ``images=False`` skips resolving image files (scoring existing responses needs none)."""
    source = Path(path)
    if not source.exists():
        raise InputError(f"input not found: {source}")
    base = source if source.is_dir() else source.parent
    columns = spec.columns(images=images)
    rows: list[EvalRow] = []
    invalid: list[Rejection] = []
    for index, raw in enumerate(spec.read(source)):
        if limit is not None and index >= limit:
            break
        if not rows and not invalid:
            # Rows may lack images one by one (text-only questions), but a file with no image column at all is a
            # wrong layout: it would otherwise be evaluated text-only without a word.
            check_columns(raw, replace(columns, require_image=True), source, EVAL_COLUMN_OPTIONS)
        problem = to_problem(index, raw, columns, base)
        if isinstance(problem, Rejection):
            invalid.append(problem)
            continue
        try:
            item = spec.item(raw, problem)
        except ValueError as error:  # a row the layout cannot score (MM-Math's solution without a box)
            invalid.append(Rejection(index, problem.id, RejectReason.MISSING_ANSWER, str(error), raw))
            continue
        subsets = tuple(subset.name for subset in spec.subsets if str(field_value(raw, subset.column)) == subset.value)
        group = field_value(raw, spec.group) if spec.group else None
        rows.append(EvalRow(problem, item, spec.breakdown(raw), None if group is None else str(group), subsets))
    ids = [row.id for row in rows]
    if len(set(ids)) != len(ids):
        duplicated = [name for name, count in Counter(ids).items() if count > 1][:5]
        raise UsageError(f"duplicate ids in {source} (column {spec.id!r}): {duplicated}; is --benchmark right?")
    return rows, invalid


def prompt_of(row: EvalRow) -> str:
    """What the model is asked: the row's prompt, with its options listed when the prompt does not list them
    (MathVista's GitHub layout keeps the prompt in another file; MathVision lists options apart)."""
    question, choices = row.problem.question, row.item.choices
    if not choices or all(str(option) in question for option in choices):
        return question
    listed = "\n".join(f"({ascii_uppercase[index]}) {option}" for index, option in enumerate(choices))
    return f"{question}\nChoices:\n{listed}"
