"""Options shared by several commands, so one concept has one name and one help text everywhere, plus the
progress bar every long command shows."""

from __future__ import annotations

from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from vision_r1_plugins.cli._errors import warn
from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.core.exclusion import Excluder
from vision_r1_plugins.core.problems import ProblemColumns

console = Console(highlight=False)
T = TypeVar("T")

# Servers and models
BaseUrl = Annotated[
    list[str] | None,
    typer.Option(
        "--base-url",
        help="OpenAI-compatible server, e.g. http://host:8000/v1. Several replicas: repeat the option or separate "
        "URLs with commas; requests go to the least-loaded one.",
    ),
]
Timeout = Annotated[float, typer.Option(help="Seconds to wait for one response.")]
MaxAttempts = Annotated[int, typer.Option(help="Attempts per request (retries on connection errors, 429, 5xx).")]
Strict = Annotated[bool, typer.Option(help="Exit 1 when any row is rejected (for pipelines).")]
ApiKeyEnv = Annotated[str, typer.Option(help="Environment variable holding the server's API key.")]
Temperature = Annotated[float, typer.Option(help="Sampling temperature (0: greedy).")]
TopP = Annotated[float, typer.Option(help="Nucleus sampling top_p.")]
Seed = Annotated[int, typer.Option(help="Random seed (sampling, splits).")]
Concurrency = Annotated[int, typer.Option(help="Requests in flight per server.")]
Resume = Annotated[bool, typer.Option(help="Continue a killed run from what its output folder already holds.")]

# Problem files (geometry3k layout by default), shared by `bridge` and `rl-data`.
ImageColumn = Annotated[str, typer.Option(help="Column with the image(s).")]
QuestionColumn = Annotated[str, typer.Option(help="Column with the question.")]
AnswerColumn = Annotated[str, typer.Option(help="Column with the gold answer.")]
ChoicesColumn = Annotated[str, typer.Option(help="Column with multiple-choice options ('' for none).")]
IdColumn = Annotated[str, typer.Option(help="Column with a unique id ('' to number rows).")]
ExcludeBenchmark = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude-benchmark",
        metavar="[NAME=]FILE",
        help="Keep this benchmark's questions and images out of the data: a problem that overlaps one of its rows "
        "(see `vision-r1 data overlap`) is filtered as benchmark_overlap. NAME: its layout (`vision-r1 eval "
        "benchmarks`), detected when left out. Repeat for several.",
    ),
]


def hidden_alias(name: str, replacement: str) -> typer.models.OptionInfo:
    """An old spelling kept for one release: accepted, hidden from --help, and answered with a note."""
    return typer.Option(name, hidden=True, help=f"Deprecated spelling of {replacement}.")


def pick(value: T | None, old: T | None, old_name: str, new_name: str, required: bool = False) -> T | None:
    """The value of an option given under its name or its deprecated alias (not both)."""
    if old is not None:
        if value is not None:
            raise UsageError(f"{old_name} is the old spelling of {new_name}: give only {new_name}")
        warn(f"{old_name} is deprecated and will be removed in the next release; use {new_name}")
        value = old
    if value is None and required:
        raise UsageError(f"missing option {new_name}")
    return value


def progress_bar(label: str) -> Progress:
    """The progress display of every long command: what it does, a bar, N/M, elapsed and remaining time."""
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    return Progress(*columns, console=console, transient=True)


def benchmark_index(files: list[str] | None) -> Excluder | None:
    """The index of the ``--exclude-benchmark`` files, built before any row is read (None without the option)."""
    if not files:
        return None
    from vision_r1_plugins.overlap import load_index

    with console.status(f"indexing {len(files)} benchmark file(s) for --exclude-benchmark"):
        return load_index(files)


def problem_columns(image: str, question: str, answer: str, choices: str, sample_id: str) -> ProblemColumns:
    return ProblemColumns(image, question, answer, choices or None, sample_id or None)
