"""``vision-r1 lf`` (dataset registration and validation for LLaMA-Factory) and ``vision-r1 sft``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vision_r1_plugins.cli._options import Strict, console, progress_bar
from vision_r1_plugins.cli.app import app

lf_app = typer.Typer(help="Cold-start SFT on LLaMA-Factory: datasets, validation, training.", no_args_is_help=True)
app.add_typer(lf_app, name="lf")


@lf_app.command("register")
def lf_register(
    dataset_dir: Annotated[
        Path, typer.Option(help="LLaMA-Factory dataset_dir holding (or to hold) dataset_info.json.")
    ],
    entries: Annotated[
        list[str] | None, typer.Option("--entries", help="Entries to register (repeat or comma-separate); default all.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace existing entries of the same name that differ.")] = False,
) -> None:
    """Merge the Vision-R1 dataset entries into a LLaMA-Factory dataset_info.json (idempotent, atomic)."""
    from vision_r1_plugins.core.dataset_info import bundled_entries, register_datasets

    names = [name.strip() for item in entries or [] for name in item.split(",") if name.strip()] or None
    result = register_datasets(dataset_dir, bundled_entries(names), force=force)
    for label, names_done in (("added", result.added), ("replaced", result.replaced), ("unchanged", result.unchanged)):
        if names_done:
            console.print(f"{label}: {', '.join(names_done)}", markup=False)
    console.print(f"dataset_info: {result.path}", markup=False)


@lf_app.command("validate")
def lf_validate(
    dataset_dir: Annotated[Path, typer.Option(help="LLaMA-Factory dataset_dir with dataset_info.json.")],
    dataset: Annotated[str, typer.Option(help="Registered dataset name.")],
    model: Annotated[str, typer.Option(help="Model (tokenizer + processor) path used for training.")],
    cutoff_len: Annotated[int, typer.Option(help="The cutoff_len of the training recipe.")],
    image_max_pixels: Annotated[int, typer.Option(help="As in the recipe (LLaMA-Factory default 768*768).")] = 589824,
    image_min_pixels: Annotated[int, typer.Option(help="As in the recipe.")] = 1024,
    template: Annotated[str, typer.Option(help="LLaMA-Factory template.")] = "qwen2_vl",
    media_dir: Annotated[
        str | None, typer.Option(help="Where relative image paths resolve (default dataset_dir).")
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    decode_images: Annotated[
        bool,
        typer.Option(
            help="Decode every image fully (1.2-1.7x slower on the benchmark). The default already finds what "
            "makes LLaMA-Factory fail on an image: missing, unreadable, too large for Pillow (decompression "
            "bomb), truncated (JPEG: no end marker; PNG: every chunk's CRC; other formats decoded). This also "
            "finds PNGs whose compressed data is damaged under valid CRCs."
        ),
    ] = False,
    allow_image_in_answer: Annotated[
        bool,
        typer.Option(
            help="Keep rows with <image> in an assistant turn (counted as a warning; their image tokens "
            "are trained as labels). Default: reject them."
        ),
    ] = False,
    fix: Annotated[
        Path | None, typer.Option(help="Write a clean copy, a rejects file and a dataset_info entry here.")
    ] = None,
    strict: Strict = False,
) -> None:
    """Check a registered dataset the way LLaMA-Factory will read it; report (and optionally drop) bad rows."""
    from vision_r1_plugins.llamafactory.validate import (
        REASONS,
        WARNINGS,
        ValidateConfig,
        check_inputs,
        check_outcome,
        count_rows,
        validate_dataset,
    )

    config = ValidateConfig(
        dataset_dir=str(dataset_dir),
        dataset=dataset,
        model=model,
        cutoff_len=cutoff_len,
        template=template,
        media_dir=media_dir,
        image_max_pixels=image_max_pixels,
        image_min_pixels=image_min_pixels,
        num_workers=workers,
        decode_images=decode_images,
        allow_image_in_answer=allow_image_in_answer,
    )
    _, files = check_inputs(config)  # the model path and the dataset, before any worker starts
    total = count_rows(files)
    with progress_bar("validating") as progress:
        task = progress.add_task("validate", total=total)
        report = validate_dataset(config, fix_dir=fix, on_progress=lambda n: progress.advance(task, n))
    if report.rejected_total:  # the first line says what failed and where
        where = report.rejects_path or "the table below (--fix DIR writes every reject to a file)"
        console.print(
            f"{report.rejected_total} of {report.total} rows rejected: see {where}", markup=False, soft_wrap=True
        )
    table = Table(title=f"{dataset}: {report.total} rows, {report.kept} kept, {report.rejected_total} rejected")
    table.add_column("rule")
    table.add_column("rows", justify="right")
    table.add_column("first example")
    for reason in REASONS:
        table.add_row(reason, str(report.rejected.get(reason, 0)), report.examples.get(reason, ""))
    console.print(table)
    for warning, count in report.warnings.items():
        console.print(f"warning: {count} kept row(s) {WARNINGS[warning]}", markup=False, soft_wrap=True)
    for failure in report.worker_failures:
        console.print(f"worker failure: {failure}", markup=False, soft_wrap=True)
    console.print(
        f"kept rows: {report.mean_tokens:.0f} tokens on average, {report.max_tokens} at most (cutoff_len {cutoff_len})",
        markup=False,
    )
    if fix is not None:
        console.print(
            f"clean copy: {report.clean_path} (registered as {dataset!r} in {fix / 'dataset_info.json'})", markup=False
        )
        console.print(f"rejects:    {report.rejects_path}", markup=False)
        console.print(f"summary:    {report.summary_path}", markup=False)
    if report.rejected_total and fix is None:
        console.print("rerun with --fix DIR to write a clean copy and a rejects file")
    check_outcome(report, strict=strict)


@app.command(
    "sft", context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}
)
def sft(ctx: typer.Context) -> None:
    """Cold-start SFT through LLaMA-Factory with plugins loaded on every rank: CONFIG.yaml KEY=VALUE..."""
    from vision_r1_plugins.llamafactory.train import main as train_main

    if not ctx.args or ctx.args[0] in ("-h", "--help"):
        console.print(
            "usage: vision-r1 sft CONFIG.yaml [key=value ...]   (recipes: vision-r1 recipes list)", markup=False
        )
        raise typer.Exit(0 if ctx.args else 2)
    raise typer.Exit(train_main(ctx.args))
