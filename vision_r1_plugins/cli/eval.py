"""``vision-r1 infer``, ``vision-r1 eval`` (``run``, ``score``, ``benchmarks``) and ``vision-r1 analyze``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.table import Table
from typer.core import TyperGroup

from vision_r1_plugins.cli._options import (
    ApiKeyEnv,
    BaseUrl,
    Concurrency,
    MaxAttempts,
    Resume,
    Strict,
    Temperature,
    Timeout,
    TopP,
    console,
    progress_bar,
)
from vision_r1_plugins.cli.app import app

BackendOption = Annotated[
    str, typer.Option(help="openai (vllm serve or any compatible server), transformers (local) or vllm.")
]


@app.command("infer")
def infer(
    model: Annotated[str, typer.Option(help="Local path, hub name (transformers/vllm) or served model name (openai).")],
    prompt: Annotated[str, typer.Option(help="The question.")],
    image: Annotated[list[str] | None, typer.Option("--image", help="Image file (repeat for several).")] = None,
    backend: BackendOption = "transformers",
    base_url: BaseUrl = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    timeout: Timeout = 600.0,
    max_attempts: MaxAttempts = 6,
    system_prompt: Annotated[str | None, typer.Option(help="A system turn before the question.")] = None,
    temperature: Temperature = 0.6,
    top_p: TopP = 0.95,
    max_tokens: Annotated[int, typer.Option(help="Most tokens to generate.")] = 4096,
) -> None:
    """Ask one question about images; the thinking streams, the final answer is shown apart."""
    from vision_r1_plugins.core.images import load_image_files
    from vision_r1_plugins.eval.infer import infer as run_infer
    from vision_r1_plugins.generation import BackendConfig, RetryPolicy, Sampling, make_backend, split_urls

    images = load_image_files(image or [])
    sampling = Sampling(temperature=temperature, top_p=top_p, max_tokens=max_tokens)
    config = BackendConfig(
        backend,
        model,
        split_urls(base_url) or None,
        api_key_env,
        sampling,
        timeout=timeout,
        retry=RetryPolicy(max_attempts=max_attempts),
    )
    result = run_infer(
        make_backend(config),
        prompt,
        images,
        system_prompt=system_prompt,
        on_text=lambda text: console.print(text, end="", markup=False, highlight=False),
    )
    console.print()
    console.rule("answer")
    console.print(result.answer if result.answer is not None else "(no final answer found)", markup=False)
    note = f"({len(result.thinking.split())} words of thinking)"
    if result.truncated:
        note = f"(truncated at --max-tokens {max_tokens}: the response did not finish) " + note
    console.print(note, style="dim", markup=False)


class _RunByDefault(TyperGroup):
    """``vision-r1 eval FILE ...`` is ``vision-r1 eval run FILE ...``: the command existed before the group."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    cls=_RunByDefault,
    help="Benchmarks: generate and score (run, the default), score existing responses (score), list (benchmarks).",
    no_args_is_help=True,
)
app.add_typer(eval_app, name="eval")

BenchmarkName = Annotated[
    str, typer.Option(help="Registered benchmark (layout + official rule); see `vision-r1 eval benchmarks`.")
]
Protocol = Annotated[
    str,
    typer.Option(help="official: the benchmark's published rule (chance credit included); strict: this project's."),
]


@eval_app.command("run")
def eval_command(
    benchmark_file: Annotated[
        Path, typer.Argument(help="Benchmark rows: .jsonl, .json, .parquet or a datasets folder.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder: responses, rows, CSV, summary.")],
    model: Annotated[str, typer.Option(help="Served model name (openai) or local path (transformers, vllm).")],
    benchmark: BenchmarkName = "vision_r1",
    protocol: Protocol = "official",
    backend: BackendOption = "openai",
    base_url: BaseUrl = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    concurrency: Concurrency = 16,
    timeout: Timeout = 600.0,
    max_attempts: MaxAttempts = 6,
    system_prompt: Annotated[
        str | None, typer.Option(help="A system turn before each question (a Zero model trained with the R1 one).")
    ] = None,
    image_column: Annotated[
        str | None, typer.Option(help="Column with the images, instead of the benchmark's ('' asks without images).")
    ] = None,
    temperature: Temperature = 0.6,
    top_p: TopP = 0.95,
    max_tokens: Annotated[int, typer.Option(help="Most tokens per response (the paper evaluates with 16000).")] = (
        16000
    ),
    limit: Annotated[int | None, typer.Option(help="Only the first N rows.")] = None,
    resume: Resume = False,
    strict: Strict = False,
) -> None:
    """Generate a response for every benchmark row, then score it under both protocols (no judge model)."""
    from vision_r1_plugins.core.errors import RunError
    from vision_r1_plugins.eval.runner import RESPONSES_FILE, STORE_FILE, EvalConfig, evaluate
    from vision_r1_plugins.generation import BackendConfig, RetryPolicy, Sampling, make_backend, split_urls

    sampling = Sampling(temperature=temperature, top_p=top_p, max_tokens=max_tokens)
    generator = make_backend(
        BackendConfig(
            backend,
            model,
            split_urls(base_url) or None,
            api_key_env,
            sampling,
            concurrency,
            timeout,
            RetryPolicy(max_attempts=max_attempts),
        )
    )
    config = EvalConfig(
        benchmark_file,
        out,
        benchmark=benchmark,
        resume=resume,
        limit=limit,
        system_prompt=system_prompt,
        concurrency=concurrency,
        protocol=protocol,
        image_column=image_column,
    )
    if resume and (out / RESPONSES_FILE).is_file() and not (out / STORE_FILE).exists():
        console.print(
            f"importing the responses an older version stored in {out / RESPONSES_FILE} into {out / STORE_FILE} "
            "(once; the old file is rewritten from the store at the end)",
            markup=False,
            soft_wrap=True,
        )
    with progress_bar("generating") as progress:
        task = progress.add_task("eval", total=None)
        report = evaluate(config, generator, on_progress=lambda n: progress.advance(task, n))
    if report.rows and not report.scored:
        raise RunError(
            f"every one of the {report.rows} requests failed (first: {report.first_failure}); "
            f"see {report.paths['rows']}"
        )
    if report.failed or report.invalid_rows:
        console.print(
            f"{report.failed} of {report.rows} requests failed (counted wrong; rerun with --resume to "
            f"retry them), {report.invalid_rows} invalid rows: see {report.paths['rows']} and "
            f"{report.paths['invalid']}",
            markup=False,
            soft_wrap=True,
        )
    _print_report(benchmark_file.name, report)
    console.print(
        f"{report.failed} failed requests, {report.invalid_rows} invalid rows; per-row CSV: {report.paths['csv']}",
        markup=False,
    )
    if strict and (report.failed or report.invalid_rows):
        raise RunError(f"--strict: {report.failed} failed requests, {report.invalid_rows} invalid rows")


@eval_app.command("score")
def score_command(
    responses: Annotated[
        Path,
        typer.Argument(
            help="Responses: JSONL/JSON with the benchmark's id and `response`, MathVista "
            "results/output_*.json, VLMEvalKit .xlsx/.tsv, lmms-eval samples .jsonl."
        ),
    ],
    benchmark: BenchmarkName,
    data: Annotated[Path, typer.Option(help="The benchmark file or folder the responses answer.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for summary.json, rows.jsonl, results.csv.")],
    protocol: Protocol = "official",
    judge_url: Annotated[
        str | None,
        typer.Option(
            help="OpenAI-compatible server of a judge model that extracts answers the "
            "rules cannot find (only those rows are sent)."
        ),
    ] = None,
    judge_model: Annotated[str | None, typer.Option(help="The judge's served model name.")] = None,
    judge_api_key_env: Annotated[str, typer.Option(help="Environment variable with the judge's API key.")] = (
        "OPENAI_API_KEY"
    ),
) -> None:
    """Score responses that already exist against a benchmark file; rows with no response count as wrong."""
    from vision_r1_plugins.core.errors import RunError, UsageError
    from vision_r1_plugins.eval.llm_extractor import JudgeConfig
    from vision_r1_plugins.eval.score_responses import ScoreConfig, score_responses

    if (judge_url is None) != (judge_model is None):
        raise UsageError("give --judge-url and --judge-model together")
    judge = JudgeConfig(judge_url, judge_model, judge_api_key_env) if judge_url and judge_model else None
    config = ScoreConfig(responses, benchmark, data, out, protocol, judge)
    with progress_bar("scoring") as progress:
        task = progress.add_task("score", total=None)
        outcome = score_responses(config, on_progress=lambda n: progress.advance(task, n))
    report = outcome.report
    _print_report(responses.name, report)
    notes = [f"{report.missing} rows with no response (counted wrong)", f"{report.invalid_rows} invalid rows"]
    if outcome.unmatched:
        notes.append(f"{outcome.unmatched} responses to ids the benchmark does not have (not scored)")
    if outcome.duplicates:
        notes.append(f"{outcome.duplicates} repeated responses (the first was scored)")
    if outcome.unreadable:
        notes.append(f"{outcome.unreadable} response rows with no id or text")
    if judge is not None:
        notes.append(f"the judge extracted {report.judged_rows} answers ({outcome.judge_failures} requests failed)")
    console.print("; ".join(notes) + f"; per-row CSV: {report.paths['csv']}", markup=False)
    if not report.scored:
        raise RunError(f"no benchmark row had a response in {responses}; see {report.paths['rows']}")


@eval_app.command("benchmarks")
def list_benchmarks() -> None:
    """The registered benchmarks: their id column and official rule."""
    from vision_r1_plugins.eval.tasks import BENCHMARKS

    table = Table(title="benchmarks")
    for column in ("name", "id column", "official rule"):
        table.add_column(column)
    for name, spec in BENCHMARKS.items():
        table.add_row(name, spec.id, spec.description)
    console.print(table)


def _print_report(name: str, report: Any) -> None:
    official, strict = report.accuracy_by_protocol["official"], report.accuracy_by_protocol["strict"]
    table = Table(
        title=f"{name} ({report.benchmark}): official {official:.1%}, strict {strict:.1%} on all {report.rows} rows"
    )
    for column, justify in (("group", "left"), ("rows", "right"), ("official", "right"), ("strict", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    groups = [
        (f"{column}: {value}", numbers)
        for column, values in report.breakdowns.items()
        for value, numbers in values.items()
    ]
    groups += [(f"subset: {subset}", numbers) for subset, numbers in report.subsets.items()]
    if report.worst_case:
        groups.append((f"worst case ({int(report.worst_case['groups'])} seed questions)", report.worst_case))
    for label, numbers in groups:
        rows = int(numbers.get("rows", numbers.get("groups", 0)))
        table.add_row(label, str(rows), f"{numbers['official']:.1%}", f"{numbers['strict']:.1%}")
    console.print(table)
    markers = ", ".join(f"{marker} {value:.2f}" for marker, value in report.markers_per_response.items())
    console.print(
        f"no extractable answer {report.no_answer_share:.1%}; "
        f"hit max_tokens {report.hit_max_tokens_share:.1%}; "
        f"response tokens mean {report.response_tokens['mean']:.0f}, median "
        f"{report.response_tokens['median']:.0f}; per response: {markers}",
        markup=False,
    )


@app.command("analyze")
def analyze(
    runs: Annotated[list[Path], typer.Argument(help="Run folders written by vision-r1 eval (one or more).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the PNGs and report.md.")],
    ptst_metrics: Annotated[Path | None, typer.Option(help="A PTST metrics folder (CHECKPOINT_DIR/metrics).")] = None,
) -> None:
    """Plots and a markdown report: accuracy by response length, length histograms, PTST curves."""
    from vision_r1_plugins.eval.analysis import load_run, write_report
    from vision_r1_plugins.ptst.metrics import report_section

    loaded = [load_run(run) for run in runs]
    sections = [report_section(ptst_metrics, out)] if ptst_metrics is not None else []
    console.print(f"report: {write_report(loaded, out, sections)}", markup=False)
