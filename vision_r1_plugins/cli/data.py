"""``vision-r1 data``: checks on training data (``overlap``: benchmark contamination)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vision_r1_plugins.cli._options import console, progress_bar
from vision_r1_plugins.cli.app import app

data_app = typer.Typer(help="Training data checks.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("overlap")
def data_overlap(
    train: Annotated[
        list[Path],
        typer.Option(
            "--train",
            help="Training file (repeatable): problems (.jsonl/.json/.parquet), the bridge's kept.jsonl or "
            "vision_r1_bridged.json, LLaMA-Factory ShareGPT JSON/JSONL, or the verl RL parquet.",
        ),
    ],
    benchmark: Annotated[
        list[str],
        typer.Option(
            "--benchmark",
            help="Benchmark file (repeatable) as NAME=PATH (a layout of `vision-r1 eval benchmarks`) or PATH "
            "(layout detected from its first row).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: overlap.json, pairs.jsonl, clean/.")],
    text_threshold: Annotated[
        float, typer.Option(help="Near-duplicate text: exact Jaccard similarity of word 3-gram shingles, at least.")
    ] = 0.8,
    image_distance: Annotated[
        int, typer.Option(help="Near-duplicate image: perceptual hashes at most this many bits apart (of 64).")
    ] = 6,
    min_tokens: Annotated[
        int, typer.Option(help='Questions with fewer words than this ("Find x.") match only through the image.')
    ] = 8,
    images: Annotated[bool, typer.Option("--images/--no-images", help="Compare images too.")] = True,
    write_clean: Annotated[
        bool, typer.Option(help="Also write each training file without its overlapping rows (OUT/clean/).")
    ] = False,
    train_format: Annotated[
        str | None,
        typer.Option(help="Training format for every --train file: problems, bridge_kept, sharegpt or verl."),
    ] = None,
    workers: Annotated[int, typer.Option(help="Processes that decode and hash images.")] = 1,
    fail_on_overlap: Annotated[
        bool, typer.Option(help="Exit 1 when any benchmark row is found in training (for CI).")
    ] = False,
) -> None:
    """Find benchmark rows inside training data: identical or near-identical questions and images."""
    from vision_r1_plugins.core.errors import RunError, UsageError
    from vision_r1_plugins.overlap import IndexConfig, OverlapConfig, TextRules, TrainFormat, check_overlap

    if train_format is not None and train_format not in tuple(TrainFormat):
        raise UsageError(f"--train-format must be one of {', '.join(TrainFormat)}, got {train_format!r}")
    config = OverlapConfig(
        train=tuple(train),
        benchmarks=tuple(benchmark),
        out_dir=out,
        index=IndexConfig(TextRules(text_threshold, min_tokens), image_distance, images, workers),
        write_clean=write_clean,
        train_format=TrainFormat(train_format) if train_format else None,
    )
    with progress_bar("checking") as progress:
        task = progress.add_task("checking", total=None)

        def on_file(path: Path, rows: int | None) -> None:
            progress.update(task, description=path.name, total=rows, completed=0)

        report = check_overlap(config, on_file=on_file, on_rows=lambda count: progress.advance(task, count))

    table = Table(title="benchmark rows found in training")
    for column in ("benchmark", "rows", "indexed", "found", "share", "text exact", "text near", "image"):
        table.add_column(column, justify="left" if column == "benchmark" else "right")
    for summary in report.benchmarks:
        by_kind = {kind: len(ids) for kind, ids in summary.found.items()}
        table.add_row(
            summary.label,
            str(summary.rows_read),
            str(summary.indexed),
            str(summary.found_rows),
            f"{summary.share:.1%}",
            str(by_kind["text_exact"]),
            str(by_kind["text_near"]),
            str(by_kind["image"]),
        )
    console.print(table)
    training = Table(title="training files")
    for column in ("file", "format", "rows", "overlapping", "rejected", "kept"):
        training.add_column(column, justify="left" if column in ("file", "format") else "right")
    for summary in report.training:
        training.add_row(
            str(summary.path),
            summary.format,
            str(summary.input),
            str(summary.filtered_total),
            str(summary.rejected_total),
            str(summary.kept),
        )
    console.print(training)
    for summary in report.training:
        if summary.clean_path is not None:
            console.print(f"clean copy: {summary.clean_path} (removed rows: {summary.removed_path})", markup=False)
    console.print(f"summary: {report.summary_path}\npairs: {report.pairs_path} ({report.pairs})", markup=False)
    if report.other_answer:
        console.print(
            f"not counted: {report.other_answer} image matches whose answers contradict (the same figure, another "
            f"question), for review in {report.other_answer_path}",
            markup=False,
            soft_wrap=True,
        )
    if fail_on_overlap and report.any_overlap:
        found = sum(summary.found_rows for summary in report.benchmarks)
        raise RunError(f"--fail-on-overlap: {found} benchmark rows found in training; see {report.pairs_path}")
