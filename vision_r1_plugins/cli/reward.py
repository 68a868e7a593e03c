"""``vision-r1 reward``: score a file of responses; print the EasyR1 reward path."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vision_r1_plugins.cli._options import Strict, console, hidden_alias, pick, progress_bar
from vision_r1_plugins.cli.app import app

reward_app = typer.Typer(help="The hard format-and-answer reward.", no_args_is_help=True)
app.add_typer(reward_app, name="reward")


@reward_app.command("score")
def reward_score(
    input_path: Annotated[
        Path,
        typer.Argument(
            help="JSONL with 'response', 'ground_truth' and optional 'choices' and 'id' (other names: the "
            "--*-column options).",
            exists=True,
            dir_okay=False,
        ),
    ],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="JSONL of scores, one line per input line.")] = None,
    output: Annotated[Path | None, hidden_alias("--output", "--out")] = None,
    style: Annotated[str, typer.Option(help="think_answer or boxed.")] = "think_answer",
    mode: Annotated[str, typer.Option(help="hard (format AND answer) or sum (format + answer).")] = "hard",
    think_in_prompt: Annotated[bool, typer.Option(help="The prompt already opened <think>.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds one answer may spend in math verification.")] = 5.0,
    resume: Annotated[bool, typer.Option(help="Keep the lines --out already has and score the rest.")] = False,
    response_column: Annotated[str, typer.Option(help="Column with the model's response.")] = "response",
    ground_truth_column: Annotated[str, typer.Option(help="Column with the gold answer.")] = "ground_truth",
    choices_column: Annotated[
        str, typer.Option(help="Column with multiple-choice options ('' for none; else extra_info's).")
    ] = "choices",
    id_column: Annotated[str, typer.Option(help="Column copied to each score line as 'id' ('' for none).")] = "id",
    strict: Strict = False,
) -> None:
    """Score a JSONL file of responses and print counts by reason."""
    from vision_r1_plugins.core.errors import UsageError
    from vision_r1_plugins.reward import RewardOptions
    from vision_r1_plugins.reward.files import ResponseColumns, check_outcome, count_lines, score_file

    target = pick(out, output, "--output", "--out", required=True)
    assert target is not None
    try:
        options = RewardOptions(style=style, mode=mode, think_in_prompt=think_in_prompt, timeout=timeout)  # type: ignore[arg-type]
    except ValueError as error:
        raise UsageError(str(error)) from error
    columns = ResponseColumns(response_column, ground_truth_column, choices_column or None, id_column or None)
    total = count_lines(input_path)
    already = count_lines(target) if resume and target.exists() else 0
    with progress_bar("scoring") as progress:
        task = progress.add_task("score", total=total, completed=already)
        summary = score_file(
            input_path,
            target,
            resume=resume,
            on_progress=lambda n: progress.advance(task, n),
            options=options,
            columns=columns,
        )
    if summary.invalid:  # the first line says what failed and where
        console.print(
            f"{summary.invalid} of {summary.rows} rows could not be scored: see their reasons in {target}",
            markup=False,
            soft_wrap=True,
        )
    kept = f", {summary.skipped_on_resume} kept from the previous run" if summary.skipped_on_resume else ""
    console.print(f"{input_path.name}: {summary.rows} rows scored{kept}", markup=False)
    table = Table(title="rows by reason")
    table.add_column("reason")
    table.add_column("rows", justify="right")
    table.add_column("share", justify="right")
    for reason, count in summary.reasons.most_common():
        table.add_row(reason, str(count), f"{count / max(summary.rows, 1):.1%}")
    console.print(table)
    console.print(
        f"mean score {summary.mean_score:.4f} over {summary.scored} valid rows; "
        f"{summary.invalid} invalid rows; written to {target}",
        markup=False,
    )
    check_outcome(summary, input_path, target, strict=strict, columns=columns)


@reward_app.command("easyr1-path")
def reward_easyr1_path() -> None:
    """Print the file EasyR1's worker.reward.reward_function should point at (append ':compute_score')."""
    from vision_r1_plugins.reward.adapters import easyr1

    typer.echo(Path(easyr1.__file__).resolve())
