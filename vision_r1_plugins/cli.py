"""``vision-r1``: the command line. It parses arguments, calls library functions and prints; nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

app = typer.Typer(help="Vision-R1 as plugins for LLaMA-Factory and verl.", no_args_is_help=True)
reward_app = typer.Typer(help="The hard format-and-answer reward.", no_args_is_help=True)
app.add_typer(reward_app, name="reward")
ptst_app = typer.Typer(help="GRPO on verl with Progressive Thinking Suppression Training.", no_args_is_help=True)
app.add_typer(ptst_app, name="ptst")
lf_app = typer.Typer(help="Cold-start SFT on LLaMA-Factory: datasets, validation, training.", no_args_is_help=True)
app.add_typer(lf_app, name="lf")
console = Console()


@reward_app.command("score")
def reward_score(
    input_path: Annotated[
        Path,
        typer.Argument(
            help="JSONL with 'response', 'ground_truth' and optional 'choices'.", exists=True, dir_okay=False
        ),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="JSONL of scores, one line per input line.")],
    style: Annotated[str, typer.Option(help="think_answer or boxed.")] = "think_answer",
    mode: Annotated[str, typer.Option(help="hard (format AND answer) or sum (format + answer).")] = "hard",
    think_in_prompt: Annotated[bool, typer.Option(help="The prompt already opened <think>.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds one answer may spend in math verification.")] = 5.0,
    resume: Annotated[bool, typer.Option(help="Keep the lines OUTPUT already has and score the rest.")] = False,
) -> None:
    """Score a JSONL file of responses and print counts by reason."""
    from vision_r1_plugins.reward.files import count_lines, score_file
    from vision_r1_plugins.reward.options import RewardOptions

    options = {"style": style, "mode": mode, "think_in_prompt": think_in_prompt, "timeout": timeout}
    try:
        RewardOptions.from_kwargs(options)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    total = count_lines(input_path)
    already = count_lines(output) if resume and output.exists() else 0
    columns = (TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("score", total=total, completed=already)
        summary = score_file(
            input_path, output, resume=resume, on_progress=lambda n: progress.advance(task, n), **options
        )
    kept = f", {summary.skipped_on_resume} kept from the previous run" if summary.skipped_on_resume else ""
    console.print(f"{input_path.name}: {summary.rows} rows scored{kept}")
    table = Table(title="rows by reason")
    table.add_column("reason")
    table.add_column("rows", justify="right")
    table.add_column("share", justify="right")
    for reason, count in summary.reasons.most_common():
        table.add_row(reason, str(count), f"{count / max(summary.rows, 1):.1%}")
    console.print(table)
    console.print(
        f"mean score {summary.mean_score:.4f} over {summary.scored} valid rows; "
        f"{summary.invalid} invalid rows; written to {output}"
    )


@reward_app.command("easyr1-path")
def reward_easyr1_path() -> None:
    """Print the file EasyR1's worker.reward.reward_function should point at (append ':compute_score')."""
    from vision_r1_plugins.reward import easyr1

    typer.echo(Path(easyr1.__file__).resolve())


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
    from vision_r1_plugins.llamafactory.dataset_info import DatasetInfoError, bundled_entries, register_datasets

    names = [name.strip() for item in entries or [] for name in item.split(",") if name.strip()] or None
    try:
        result = register_datasets(dataset_dir, bundled_entries(names), force=force)
    except DatasetInfoError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from error
    for label, names_done in (("added", result.added), ("replaced", result.replaced), ("unchanged", result.unchanged)):
        if names_done:
            console.print(f"{label}: {', '.join(names_done)}")
    console.print(f"dataset_info: {result.path}")


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
        bool, typer.Option(help="Decode every image fully (slow; finds truncated files).")
    ] = False,
    fix: Annotated[
        Path | None, typer.Option(help="Write a clean copy, a rejects file and a dataset_info entry here.")
    ] = None,
) -> None:
    """Check a registered dataset the way LLaMA-Factory will read it; report (and optionally drop) bad rows."""
    from vision_r1_plugins.llamafactory.validate import (
        REASONS,
        ValidateConfig,
        ValidationError,
        count_rows,
        data_files,
        dataset_attr,
        validate_dataset,
    )

    try:
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
        )
        total = count_rows(data_files(config, dataset_attr(config)))
        columns = (TextColumn("validating"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("validate", total=total)
            report = validate_dataset(config, fix_dir=fix, on_progress=lambda n: progress.advance(task, n))
    except ValidationError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from error
    table = Table(title=f"{dataset}: {report.total} rows, {report.kept} kept, {report.rejected_total} rejected")
    table.add_column("rule")
    table.add_column("rows", justify="right")
    table.add_column("first example")
    for reason in REASONS:
        table.add_row(reason, str(report.rejected.get(reason, 0)), report.examples.get(reason, ""))
    console.print(table)
    console.print(
        f"kept rows: {report.mean_tokens:.0f} tokens on average, {report.max_tokens} at most (cutoff_len {cutoff_len})"
    )
    if fix is not None:
        console.print(f"clean copy: {report.clean_path} (registered as {dataset!r} in {fix / 'dataset_info.json'})")
        console.print(f"rejects:    {report.rejects_path}")
    if report.rejected_total and fix is None:
        console.print("rerun with --fix DIR to write a clean copy and a rejects file")


@app.command(
    "sft", context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}
)
def sft(ctx: typer.Context) -> None:
    """Cold-start SFT through LLaMA-Factory with plugins loaded on every rank: CONFIG.yaml [key=value ...]."""
    from vision_r1_plugins.llamafactory.train import main as train_main

    if not ctx.args or ctx.args[0] in ("-h", "--help"):
        console.print("usage: vision-r1 sft CONFIG.yaml [key=value ...]   (see examples/llamafactory/)", markup=False)
        raise typer.Exit(0 if ctx.args else 2)
    raise typer.Exit(train_main(ctx.args))


# Input columns of problem files, shared by `bridge` and `rl-data` (geometry3k layout by default).
ImageColumn = Annotated[str, typer.Option(help="Column with the image(s).")]
QuestionColumn = Annotated[str, typer.Option(help="Column with the question.")]
AnswerColumn = Annotated[str, typer.Option(help="Column with the gold answer.")]
ChoicesColumn = Annotated[str, typer.Option(help="Column with multiple-choice options ('' for none).")]
IdColumn = Annotated[str, typer.Option(help="Column with a unique id ('' to number rows).")]


def _input_columns(image: str, question: str, answer: str, choices: str, sample_id: str) -> Any:
    from vision_r1_plugins.bridge.inputs import InputColumns

    return InputColumns(image, question, answer, choices or None, sample_id or None)


@app.command("bridge")
def bridge_command(
    input_path: Annotated[Path, typer.Argument(help="Problems: .jsonl, .json, .parquet or a saved datasets folder.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (dataset, images, store, summary).")],
    backend: Annotated[str, typer.Option(help="openai (any OpenAI-compatible server) or transformers.")] = "openai",
    mllm_url: Annotated[str | None, typer.Option(help="MLLM base URL, e.g. http://host:8000/v1.")] = None,
    mllm_model: Annotated[str, typer.Option(help="MLLM served name (openai) or local path.")] = "",
    reasoner_url: Annotated[str | None, typer.Option(help="Reasoner base URL (default: the MLLM's).")] = None,
    reasoner_model: Annotated[str, typer.Option(help="Reasoner served name or local path (default: MLLM).")] = "",
    mllm_api_key_env: Annotated[str, typer.Option(help="Env variable holding the MLLM API key.")] = "OPENAI_API_KEY",
    reasoner_api_key_env: Annotated[str, typer.Option(help="Env variable with the reasoner key.")] = "OPENAI_API_KEY",
    concurrency: Annotated[int, typer.Option(help="Requests in flight per endpoint.")] = 64,
    timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 600.0,
    max_attempts: Annotated[int, typer.Option(help="Attempts per request (retries on errors, 429, 5xx).")] = 6,
    mllm_max_tokens: Annotated[int, typer.Option(help="Token limit of stages 1-2.")] = 2048,
    reasoner_max_tokens: Annotated[int, typer.Option(help="Token limit of stage 3.")] = 16384,
    temperature: Annotated[float, typer.Option()] = 0.6,
    top_p: Annotated[float, typer.Option()] = 0.95,
    image_column: ImageColumn = "images",
    question_column: QuestionColumn = "problem",
    answer_column: AnswerColumn = "answer",
    choices_column: ChoicesColumn = "choices",
    id_column: IdColumn = "id",
    prompts_dir: Annotated[
        Path | None, typer.Option(help="Folder with caption_cot.txt/description.txt/reasoning.txt overriding ours.")
    ] = None,
    min_reasoning_chars: Annotated[int, typer.Option()] = 200,
    max_reasoning_chars: Annotated[int, typer.Option()] = 60000,
    resume: Annotated[bool, typer.Option(help="Continue a killed run from its request store.")] = False,
    parquet: Annotated[bool, typer.Option(help="Also write the dataset as parquet.")] = False,
) -> None:
    """Modality bridging: build multimodal chain-of-thought SFT data without human labels."""
    from rich.live import Live

    from vision_r1_plugins.bridge.backends import make_backend
    from vision_r1_plugins.bridge.filters import FilterConfig
    from vision_r1_plugins.bridge.pipeline import STAGES, BridgeConfig, BridgeProgress, bridge

    if not mllm_model:
        raise typer.BadParameter("--mllm-model is required")
    common = {"concurrency": concurrency, "timeout": timeout, "max_attempts": max_attempts,
              "temperature": temperature, "top_p": top_p}  # fmt: skip
    try:
        mllm = make_backend(backend, mllm_model, mllm_url, api_key_env=mllm_api_key_env,
                            max_tokens=mllm_max_tokens, **common)  # fmt: skip
        reasoner = make_backend(
            backend,
            reasoner_model or mllm_model,
            reasoner_url or mllm_url,
            api_key_env=reasoner_api_key_env,
            max_tokens=reasoner_max_tokens,
            **common,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    config = BridgeConfig(
        input=input_path, out_dir=out, resume=resume, prompts_dir=prompts_dir, parquet=parquet,
        columns=_input_columns(image_column, question_column, answer_column, choices_column, id_column),
        filters=FilterConfig(min_reasoning_chars=min_reasoning_chars, max_reasoning_chars=max_reasoning_chars),
        max_active_samples=max(4 * concurrency, 16),
    )  # fmt: skip
    state: dict[str, BridgeProgress] = {}

    def render() -> Table:
        progress = state.get("progress")
        table = Table(title="modality bridging")
        for column in ("stage", "done", "cached", "in flight", "retried", "failed"):
            table.add_column(column, justify="left" if column == "stage" else "right")
        if progress is not None:
            for stage in STAGES:
                counter = progress.stages[stage]
                table.add_row(stage, str(counter.done), str(counter.cached), str(counter.in_flight),
                              str(counter.retried), str(counter.failed))  # fmt: skip
            table.caption = (
                f"samples read {progress.read}: kept {progress.kept}, "
                f"filtered {sum(progress.filtered.values())}, rejected {sum(progress.rejected.values())}"
            )
        return table

    try:
        with Live(get_renderable=render, console=console, refresh_per_second=4):
            report = bridge(config, mllm, reasoner, on_update=lambda progress: state.__setitem__("progress", progress))
    except Exception as error:
        from vision_r1_plugins.bridge.inputs import InputError
        from vision_r1_plugins.bridge.store import StoreError

        if isinstance(error, InputError | StoreError | ValueError):
            console.print(f"[red]error:[/red] {error}")
            raise typer.Exit(1) from error
        raise
    console.print()
    summary = Table(title=f"{report.input} samples in {report.elapsed_seconds:.1f} s")
    summary.add_column("outcome")
    summary.add_column("reason")
    summary.add_column("samples", justify="right")
    summary.add_row("kept", "", str(report.kept))
    for kind, counts in (("filtered", report.filtered), ("rejected", report.rejected)):
        for reason, count in sorted(counts.items(), key=lambda item: -item[1]):
            summary.add_row(kind, reason, str(count))
    console.print(summary)
    markers = ", ".join(f"{name} {value:.2f}" for name, value in report.reflection_per_sample.items())
    console.print(
        f"reasoning length: mean {report.reasoning_chars['mean']:.0f} characters; "
        f"self-reflection per kept sample: {markers}",
        markup=False,
    )
    console.print(
        f"dataset: {report.dataset_path} (registered as vision_r1_bridged in "
        f"{out / 'dataset_info.json'})\nsummary: {report.summary_path}",
        markup=False,
    )


def _load_ptst(schedule_path: Path, overrides: list[str] | None) -> tuple[Any, dict[str, str]]:
    from vision_r1_plugins.ptst.schedule import ScheduleError, load_schedule

    extra = {}
    for item in overrides or []:
        key, separator, value = item.partition("=")
        if not separator:
            raise typer.BadParameter(f"--set takes key=value, got {item!r}")
        extra[key] = value
    try:
        return load_schedule(schedule_path), extra
    except ScheduleError as error:
        console.print(f"[red]error:[/red] {error}", markup=True)
        raise typer.Exit(1) from error


SCHEDULE_ARG = typer.Argument(help="PTST schedule YAML (see examples/verl/).", exists=True, dir_okay=False)
SET_OPTION = typer.Option("--set", help="Extra verl override for every stage, key=value (repeatable).")


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

    from vision_r1_plugins.ptst.runner import DEFAULT_ENTRY, StageFailed, metrics_dir, run
    from vision_r1_plugins.ptst.runner import dry_run as compose_all

    schedule, extra = _load_ptst(schedule_path, overrides)
    if dry_run:
        from vision_r1_plugins.ptst.dry_run import DryRunError

        try:
            for stage_plan, result in compose_all(schedule, extra):
                resume = f"{result.resume_mode} {result.resume_from_path or ''}".strip()
                console.print(f"{stage_plan.stage.name}: OK (verl config composed and validated) response "
                              f"{result.response_length} x n {result.rollout_n}, steps to "
                              f"{result.total_training_steps}, resume {resume}, token limits {result.token_limits}",
                              markup=False)  # fmt: skip
        except DryRunError as error:
            console.print(f"error: {error}", markup=False)
            raise typer.Exit(1) from error
        return

    def on_stage(stage_plan: Any, status: str) -> None:
        console.print(f"[bold]stage {stage_plan.stage.name}: {status}[/bold] "
                      f"(global steps {stage_plan.start_step + 1}-{stage_plan.end_step})")  # fmt: skip

    try:
        run(schedule, shlex.split(entry) if entry else DEFAULT_ENTRY, on_stage=on_stage,
            on_line=lambda line: console.print(line, markup=False, highlight=False), extra=extra)  # fmt: skip
    except (StageFailed, FileNotFoundError) as error:
        console.print(f"error: {error}", markup=False)
        raise typer.Exit(1) from error
    _print_metrics(metrics_dir(schedule))


def _print_metrics(folder: Path) -> None:
    from vision_r1_plugins.ptst.metrics import METRICS, read_metrics

    stages = read_metrics(folder) if folder.is_dir() else []
    if not stages:
        console.print(f"no metrics in {folder} (add 'file' to trainer.logger)")
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
    output: Annotated[Path, typer.Option("-o", "--output", help="Output parquet (OUT.parquet, or OUT.train/test).")],
    model: Annotated[str, typer.Option(help="Model whose processor measures prompt lengths (the RL policy).")],
    max_prompt_length: Annotated[int, typer.Option(help="verl's data.max_prompt_length.")] = 1024,
    system_prompt: Annotated[str | None, typer.Option(help="'r1' for the R1 prompt (Zero recipe) or a text.")] = None,
    instruction: Annotated[str | None, typer.Option(help="Text appended after each problem.")] = None,
    test_size: Annotated[float, typer.Option(help="Fraction held out as OUT.test.parquet.")] = 0.0,
    data_source: Annotated[str, typer.Option()] = "vision_r1",
    seed: Annotated[int, typer.Option()] = 0,
    image_column: ImageColumn = "images",
    question_column: QuestionColumn = "problem",
    answer_column: AnswerColumn = "answer",
    choices_column: ChoicesColumn = "choices",
    id_column: IdColumn = "id",
) -> None:
    """Convert problems into verl's RL parquet, dropping (and reporting) rows that would break training."""
    from vision_r1_plugins.verl.rl_data import R1_SYSTEM_PROMPT, RLDataConfig, convert_rl_data

    columns = _input_columns(image_column, question_column, answer_column, choices_column, id_column)
    try:
        config = RLDataConfig(
            input=input_path, output=output, model=model, max_prompt_length=max_prompt_length,
            system_prompt=R1_SYSTEM_PROMPT if system_prompt == "r1" else system_prompt, instruction=instruction,
            test_size=test_size, seed=seed, data_source=data_source, columns=columns,
        )  # fmt: skip
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    bar = (TextColumn("converting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*bar, console=console, transient=True) as progress:
        task = progress.add_task("convert", total=None)
        report = convert_rl_data(config, on_progress=lambda n: progress.advance(task, n))
    console.print(f"{report.input} rows: {report.kept} kept, {report.rejected_total} rejected {dict(report.rejected)}")
    console.print(
        f"prompt tokens (images expanded): max {report.prompt_tokens_max}, "
        f"mean {report.prompt_tokens_mean:.0f} (limit {max_prompt_length})"
    )
    for split, path in report.outputs.items():
        console.print(f"{split}: {path} ({report.splits.get(split, 0)} rows)", markup=False)
    console.print(f"rejects: {report.rejects_path}", markup=False)


@app.command("infer")
def infer(
    model: Annotated[str, typer.Option(help="Local path, hub name (transformers/vllm) or served model name (openai).")],
    prompt: Annotated[str, typer.Option(help="The question.")],
    image: Annotated[list[str] | None, typer.Option("--image", help="Image file (repeat for several).")] = None,
    backend: Annotated[str, typer.Option(help="transformers, openai (vllm serve, any compatible server) or vllm.")] = (
        "transformers"
    ),
    base_url: Annotated[str | None, typer.Option(help="Server base URL for --backend openai.")] = None,
    temperature: Annotated[float, typer.Option()] = 0.6,
    top_p: Annotated[float, typer.Option()] = 0.95,
    max_tokens: Annotated[int, typer.Option()] = 4096,
) -> None:
    """Ask one question about images; the thinking streams, the final answer is shown apart."""
    from vision_r1_plugins.eval.infer import (
        Sampling,
        generate_vllm,
        load_images,
        split_thinking,
        stream_openai,
        stream_transformers,
    )

    sampling = Sampling(temperature=temperature, top_p=top_p, max_tokens=max_tokens)
    try:
        images = load_images(image or [])
        if backend == "transformers":
            chunks = stream_transformers(model, images, prompt, sampling)
        elif backend == "openai":
            if not base_url:
                raise typer.BadParameter("--backend openai needs --base-url, e.g. http://localhost:8000/v1")
            chunks = stream_openai(base_url, model, images, prompt, sampling)
        elif backend == "vllm":
            chunks = iter([generate_vllm(model, images, prompt, sampling)])
        else:
            raise typer.BadParameter(f"unknown backend {backend!r}")
        parts = []
        for chunk in chunks:
            parts.append(chunk)
            console.print(chunk, end="", markup=False, highlight=False)
    except (ValueError, RuntimeError, OSError) as error:
        console.print(f"\nerror: {error}", markup=False)
        raise typer.Exit(1) from error
    thinking, answer = split_thinking("".join(parts))
    console.print()
    console.rule("answer")
    console.print(answer if answer is not None else "(no final answer found)", markup=False)
    console.print(f"({len(thinking.split())} words of thinking)", style="dim")


@app.command("eval")
def eval_command(
    benchmark_file: Annotated[
        Path, typer.Argument(help="Benchmark rows: .jsonl, .json, .parquet or a datasets folder.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder: responses, rows, CSV, summary.")],
    model: Annotated[str, typer.Option(help="Served model name (openai) or local path (transformers).")],
    benchmark: Annotated[str, typer.Option(help="Column mapping: vision_r1 or mathvista_testmini.")] = "vision_r1",
    backend: Annotated[
        str, typer.Option(help="openai (vllm serve, any compatible server) or transformers.")
    ] = "openai",
    base_url: Annotated[str | None, typer.Option(help="Server base URL for --backend openai.")] = None,
    concurrency: Annotated[int, typer.Option(help="Requests in flight.")] = 16,
    temperature: Annotated[float, typer.Option()] = 0.6,
    top_p: Annotated[float, typer.Option()] = 0.95,
    max_tokens: Annotated[int, typer.Option(help="The paper evaluates with 16000.")] = 16000,
    limit: Annotated[int | None, typer.Option(help="Only the first N rows.")] = None,
    resume: Annotated[bool, typer.Option(help="Reuse responses stored by an earlier run in --out.")] = False,
) -> None:
    """Evaluate a model on a benchmark file without a judge model (MathVista normalisation + math-verify)."""
    from vision_r1_plugins.bridge.backends import make_backend
    from vision_r1_plugins.bridge.store import StoreError
    from vision_r1_plugins.eval.runner import EvalConfig, evaluate

    try:
        generator = make_backend(backend, model, base_url, concurrency=concurrency, max_tokens=max_tokens,
                                 temperature=temperature, top_p=top_p)  # fmt: skip
        config = EvalConfig(benchmark_file, out, benchmark=benchmark, resume=resume, limit=limit,
                            concurrency=concurrency)  # fmt: skip
        bar = (TextColumn("generating"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*bar, console=console, transient=True) as progress:
            task = progress.add_task("eval", total=None)
            report = evaluate(config, generator, on_progress=lambda n: progress.advance(task, n))
    except (ValueError, StoreError) as error:
        console.print(f"error: {error}", markup=False)
        raise typer.Exit(1) from error
    table = Table(title=f"{benchmark_file.name}: accuracy {report.accuracy:.1%} on {report.scored} rows")
    table.add_column("group")
    table.add_column("rows", justify="right")
    table.add_column("accuracy", justify="right")
    for kind, groups in (("category", report.by_category), ("type", report.by_question_type)):
        for name, values in groups.items():
            table.add_row(f"{kind}: {name}", str(int(values["rows"])), f"{values['accuracy']:.1%}")
    console.print(table)
    markers = ", ".join(f"{name} {value:.2f}" for name, value in report.markers_per_response.items())
    console.print(f"no extractable answer {report.no_answer_share:.1%}; "
                  f"hit max_tokens {report.hit_max_tokens_share:.1%}; "
                  f"response tokens mean {report.response_tokens['mean']:.0f}, median "
                  f"{report.response_tokens['median']:.0f}; per response: {markers}", markup=False)  # fmt: skip
    console.print(f"{report.failed} failed requests, {report.invalid_rows} invalid rows; per-row CSV: "
                  f"{report.paths['csv']}", markup=False)  # fmt: skip


@app.command("analyze")
def analyze(
    runs: Annotated[list[Path], typer.Argument(help="Run folders written by vision-r1 eval (one or more).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the PNGs and report.md.")],
    ptst_metrics: Annotated[Path | None, typer.Option(help="A PTST metrics folder (CHECKPOINT_DIR/metrics).")] = None,
) -> None:
    """Plots and a markdown report: accuracy by response length, length histograms, PTST curves."""
    from vision_r1_plugins.eval.analysis import load_run, write_report

    try:
        report = write_report([load_run(run) for run in runs], out, ptst_metrics)
    except ValueError as error:
        console.print(f"error: {error}", markup=False)
        raise typer.Exit(1) from error
    console.print(f"report: {report}", markup=False)


@app.command("tiny-model")
def tiny_model(
    out_dir: Annotated[Path, typer.Argument(help="Directory to write the model, processor and tokenizer to.")],
    seed: Annotated[int, typer.Option(help="Same seed, same weights.")] = 0,
) -> None:
    """Build a randomly initialised tiny Qwen2.5-VL offline (for tests, demos and CPU dry runs)."""
    from vision_r1_plugins.tiny import build_tiny_qwen2_5_vl

    path = build_tiny_qwen2_5_vl(out_dir, seed=seed)
    console.print(f"tiny Qwen2.5-VL written to {path} (random weights: it runs, it does not reason)")


@app.command("demo")
def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo writes its outputs.")] = Path("runs/demo"),
) -> None:
    """Run the pipeline on the bundled sample, offline."""
    from vision_r1_plugins.demo import DemoStep, run_demo

    def show(step: DemoStep) -> None:
        console.print(f"[bold]{step.title}[/bold]")
        for line in step.lines:
            console.print(f"  {line}", markup=False)
        for path in step.outputs:
            console.print(f"  -> {path}", markup=False)

    run_demo(workdir, on_step=show)
    console.print(
        "The model is random: bridged samples fail the answer check, and the scores and losses show that the "
        "pipeline runs, not that it reasons."
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
