"""``vision-r1 rl-data`` (verl's RL parquet) and ``vision-r1 ptst`` (GRPO with PTST on verl)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from vision_r1_plugins.cli._options import (
    AnswerColumn,
    ChoicesColumn,
    IdColumn,
    ImageColumn,
    QuestionColumn,
    Seed,
    console,
    hidden_alias,
    pick,
    problem_columns,
    progress_bar,
)
from vision_r1_plugins.cli.app import app

ptst_app = typer.Typer(help="GRPO on verl with Progressive Thinking Suppression Training.", no_args_is_help=True)
app.add_typer(ptst_app, name="ptst")

SCHEDULE_ARG = typer.Argument(help="PTST schedule YAML (vision-r1 recipes copy DIR).", exists=True, dir_okay=False)
SET_OPTION = typer.Option("--set", help="Extra verl override for every stage, key=value (repeatable).")


def _load_ptst(schedule_path: Path, overrides: list[str] | None) -> tuple[Any, dict[str, str]]:
    from vision_r1_plugins.core.errors import UsageError
    from vision_r1_plugins.ptst.schedule import load_schedule

    extra = {}
    for item in overrides or []:
        key, separator, value = item.partition("=")
        if not separator:
            raise UsageError(f"--set takes key=value, got {item!r}")
        extra[key] = value
    return load_schedule(schedule_path), extra


@ptst_app.command("plan")
def ptst_plan(
    schedule_path: Annotated[Path, SCHEDULE_ARG], overrides: Annotated[list[str] | None, SET_OPTION] = None
) -> None:
    """Print each stage's verl command line."""
    from vision_r1_plugins.ptst.runner import plan

    schedule, extra = _load_ptst(schedule_path, overrides)
    for stage_plan in plan(schedule, extra=extra):
        stage = stage_plan.stage
        console.print(f"# stage {stage_plan.index + 1}/{len(schedule.stages)} {stage.name}: "
                      f"{stage.max_response_length} tokens x {stage.rollout_n} rollouts, global steps "
                      f"{stage_plan.start_step + 1}-{stage_plan.end_step}", markup=False)  # fmt: skip
        console.print(stage_plan.command + "\n", markup=False, soft_wrap=True)


@ptst_app.command("run")
def ptst_run(
    schedule_path: Annotated[Path, SCHEDULE_ARG],
    dry_run: Annotated[bool, typer.Option(help="Compose and validate every stage's verl config, then exit.")] = False,
    overrides: Annotated[list[str] | None, SET_OPTION] = None,
    entry: Annotated[
        str | None, typer.Option(help="Command to run instead of python -m verl.trainer.main_ppo.")
    ] = None,
) -> None:
    """Run the stages one after another (skips finished stages, resumes a crashed one)."""
    import shlex

    from vision_r1_plugins.ptst.runner import DEFAULT_ENTRY, metrics_dir, run
    from vision_r1_plugins.ptst.runner import dry_run as compose_all

    schedule, extra = _load_ptst(schedule_path, overrides)
    if dry_run:
        for stage_plan, result in compose_all(schedule, extra):
            resume = f"{result.resume_mode} {result.resume_from_path or ''}".strip()
            console.print(f"{stage_plan.stage.name}: OK (verl config composed and validated) response "
                          f"{result.response_length} x n {result.rollout_n}, steps to "
                          f"{result.total_training_steps}, resume {resume}, token limits {result.token_limits}",
                          markup=False)  # fmt: skip
        return

    def on_stage(stage_plan: Any, status: str) -> None:
        console.print(f"[bold]stage {stage_plan.stage.name}: {status}[/bold] "
                      f"(global steps {stage_plan.start_step + 1}-{stage_plan.end_step})")  # fmt: skip

    run(schedule, shlex.split(entry) if entry else DEFAULT_ENTRY, on_stage=on_stage,
        on_line=lambda line: console.print(line, markup=False, highlight=False), extra=extra)  # fmt: skip
    _print_metrics(metrics_dir(schedule))


def _print_metrics(folder: Path) -> None:
    from vision_r1_plugins.ptst.metrics import METRICS, read_metrics

    stages = read_metrics(folder) if folder.is_dir() else []
    if not stages:
        console.print(f"no metrics in {folder} (add 'file' to trainer.logger)", markup=False)
        return
    table = Table(title="PTST stages (means over steps)")
    table.add_column("stage")
    table.add_column("steps", justify="right")
    for name in METRICS:
        table.add_column(name, justify="right")
    for stage in stages:
        means = [stage.mean(name) for name in METRICS]
        table.add_row(stage.name, str(len(stage.steps)), *("" if value is None else f"{value:.3f}" for value in means))
    console.print(table)


@ptst_app.command("metrics")
def ptst_metrics(
    schedule_path: Annotated[Path, SCHEDULE_ARG],
    plot: Annotated[Path | None, typer.Option(help="Write reward / response-length curves to this PNG.")] = None,
) -> None:
    """Summarise verl's logs per stage: reward, response length, truncation and clip rates."""
    from vision_r1_plugins.ptst.metrics import plot_metrics, read_metrics
    from vision_r1_plugins.ptst.runner import metrics_dir

    schedule, _ = _load_ptst(schedule_path, None)
    _print_metrics(metrics_dir(schedule))
    if plot is not None:
        console.print(f"plot: {plot_metrics(read_metrics(metrics_dir(schedule)), plot)}", markup=False)


@app.command("rl-data")
def rl_data(
    input_path: Annotated[
        Path, typer.Argument(help="Geometry3k-style problems: .parquet, .jsonl, .json or a datasets folder.")
    ],
    model: Annotated[str, typer.Option(help="Model whose processor measures prompt lengths (the RL policy).")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output parquet (OUT.parquet, or OUT.train/test).")
    ] = None,
    max_prompt_length: Annotated[int, typer.Option(help="verl's data.max_prompt_length.")] = 1024,
    system_prompt: Annotated[str | None, typer.Option(help="'r1' for the R1 prompt (Zero recipe) or a text.")] = None,
    instruction: Annotated[str | None, typer.Option(help="Text appended after each problem.")] = None,
    test_size: Annotated[float, typer.Option(help="Fraction held out as OUT.test.parquet.")] = 0.0,
    data_source: Annotated[str, typer.Option(help="The rows' data_source (verl routes rewards on it).")] = (
        "vision_r1"
    ),
    seed: Seed = 0,
    image_column: ImageColumn = "images",
    question_column: QuestionColumn = "problem",
    answer_column: AnswerColumn = "answer",
    choices_column: ChoicesColumn = "choices",
    id_column: IdColumn = "id",
    output: Annotated[Path | None, hidden_alias("--output", "--out")] = None,
) -> None:
    """Convert problems into verl's RL parquet, dropping (and reporting) rows that would break training."""
    from vision_r1_plugins.core.errors import RunError
    from vision_r1_plugins.verl.rl_data import R1_SYSTEM_PROMPT, RLDataConfig, convert_rl_data

    target = pick(out, output, "--output", "--out", required=True)
    columns = problem_columns(image_column, question_column, answer_column, choices_column, id_column)
    config = RLDataConfig(
        input=input_path, output=target, model=model, max_prompt_length=max_prompt_length,  # type: ignore[arg-type]
        system_prompt=R1_SYSTEM_PROMPT if system_prompt == "r1" else system_prompt, instruction=instruction,
        test_size=test_size, seed=seed, data_source=data_source, columns=columns,
    )  # fmt: skip
    with progress_bar("converting") as progress:
        task = progress.add_task("convert", total=None)
        report = convert_rl_data(config, on_progress=lambda n: progress.advance(task, n))
    console.print(f"{report.input} rows: {report.kept} kept, {report.rejected_total} rejected {dict(report.rejected)}",
                  markup=False)  # fmt: skip
    console.print(
        f"prompt tokens (images expanded): max {report.prompt_tokens_max}, "
        f"mean {report.prompt_tokens_mean:.0f} (limit {max_prompt_length})",
        markup=False,
    )
    for split, path in report.outputs.items():
        console.print(f"{split}: {path} ({report.splits.get(split, 0)} rows)", markup=False)
    console.print(f"rejects: {report.rejects_path}", markup=False)
    if report.input and not report.kept:
        raise RunError(f"no row of {input_path} was kept; see {report.rejects_path} for why")
