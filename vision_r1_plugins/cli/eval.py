"""``vision-r1 infer``, ``vision-r1 eval`` and ``vision-r1 analyze``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vision_r1_plugins.cli._options import BaseUrl, Concurrency, Resume, Temperature, TopP, console, progress_bar
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
    system_prompt: Annotated[str | None, typer.Option(help="A system turn before the question.")] = None,
    temperature: Temperature = 0.6,
    top_p: TopP = 0.95,
    max_tokens: Annotated[int, typer.Option(help="Most tokens to generate.")] = 4096,
) -> None:
    """Ask one question about images; the thinking streams, the final answer is shown apart."""
    from vision_r1_plugins.core.images import load_image_files
    from vision_r1_plugins.eval.infer import infer as run_infer
    from vision_r1_plugins.generation import BackendConfig, Sampling, make_backend

    images = load_image_files(image or [])
    sampling = Sampling(temperature=temperature, top_p=top_p, max_tokens=max_tokens)
    generator = make_backend(BackendConfig(backend, model, base_url, sampling=sampling))
    result = run_infer(generator, prompt, images, system_prompt=system_prompt,
                       on_text=lambda text: console.print(text, end="", markup=False, highlight=False))  # fmt: skip
    console.print()
    console.rule("answer")
    console.print(result.answer if result.answer is not None else "(no final answer found)", markup=False)
    console.print(f"({len(result.thinking.split())} words of thinking)", style="dim")


@app.command("eval")
def eval_command(
    benchmark_file: Annotated[
        Path, typer.Argument(help="Benchmark rows: .jsonl, .json, .parquet or a datasets folder.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder: responses, rows, CSV, summary.")],
    model: Annotated[str, typer.Option(help="Served model name (openai) or local path (transformers, vllm).")],
    benchmark: Annotated[str, typer.Option(help="Column mapping: vision_r1 or mathvista_testmini.")] = "vision_r1",
    backend: BackendOption = "openai",
    base_url: BaseUrl = None,
    concurrency: Concurrency = 16,
    system_prompt: Annotated[str | None, typer.Option(help="A system turn before each question.")] = None,
    temperature: Temperature = 0.6,
    top_p: TopP = 0.95,
    max_tokens: Annotated[int, typer.Option(help="Most tokens per response (the paper evaluates with 16000).")] = (
        16000
    ),
    limit: Annotated[int | None, typer.Option(help="Only the first N rows.")] = None,
    resume: Resume = False,
) -> None:
    """Evaluate a model on a benchmark file without a judge model (MathVista normalisation + math-verify)."""
    from vision_r1_plugins.core.errors import RunError
    from vision_r1_plugins.eval.runner import EvalConfig, evaluate
    from vision_r1_plugins.generation import BackendConfig, Sampling, make_backend

    sampling = Sampling(temperature=temperature, top_p=top_p, max_tokens=max_tokens)
    generator = make_backend(BackendConfig(backend, model, base_url, sampling=sampling, concurrency=concurrency))
    config = EvalConfig(benchmark_file, out, benchmark=benchmark, resume=resume, limit=limit,
                        system_prompt=system_prompt, concurrency=concurrency)  # fmt: skip
    with progress_bar("generating") as progress:
        task = progress.add_task("eval", total=None)
        report = evaluate(config, generator, on_progress=lambda n: progress.advance(task, n))
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
    if report.rows and not report.scored:
        raise RunError(f"every one of the {report.rows} requests failed; see {report.paths['rows']}")


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
