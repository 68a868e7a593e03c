"""``vision-r1 bridge``: modality bridging, with a live table of the stages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from vision_r1_plugins.cli._options import (
    AnswerColumn,
    ApiKeyEnv,
    ChoicesColumn,
    Concurrency,
    ExcludeBenchmark,
    IdColumn,
    ImageColumn,
    MaxAttempts,
    QuestionColumn,
    Resume,
    Strict,
    Temperature,
    Timeout,
    TopP,
    benchmark_index,
    console,
    hidden_alias,
    pick,
    problem_columns,
)
from vision_r1_plugins.cli.app import app


@app.command("bridge")
def bridge_command(
    input_path: Annotated[Path, typer.Argument(help="Problems: .jsonl, .json, .parquet or a saved datasets folder.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (dataset, images, store, summary).")],
    backend: Annotated[str, typer.Option(help="openai (any OpenAI-compatible server) or transformers.")] = "openai",
    base_url: Annotated[
        list[str] | None,
        typer.Option(
            "--base-url",
            help="MLLM's OpenAI-compatible server, e.g. http://host:8000/v1. Several replicas: repeat the option or "
            "separate URLs with commas; requests go to the least-loaded one.",
        ),
    ] = None,
    model: Annotated[str | None, typer.Option(help="MLLM: served name (openai) or local path.")] = None,
    reasoner_base_url: Annotated[
        list[str] | None,
        typer.Option(
            "--reasoner-base-url", help="Reasoner's server(s), several like --base-url (default: --base-url)."
        ),
    ] = None,
    reasoner_model: Annotated[str | None, typer.Option(help="Reasoner: name or path (default: --model).")] = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    reasoner_api_key_env: Annotated[str, typer.Option(help="Environment variable with the reasoner's key.")] = (
        "OPENAI_API_KEY"
    ),
    concurrency: Concurrency = 64,
    timeout: Timeout = 600.0,
    max_attempts: MaxAttempts = 6,
    max_tokens: Annotated[int | None, typer.Option(help="Token limit of the MLLM stages (1-2); default 2048.")] = None,
    reasoner_max_tokens: Annotated[int, typer.Option(help="Token limit of the reasoning stage.")] = 16384,
    temperature: Temperature = 0.6,
    top_p: TopP = 0.95,
    image_column: ImageColumn = "images",
    question_column: QuestionColumn = "problem",
    answer_column: AnswerColumn = "answer",
    choices_column: ChoicesColumn = "choices",
    id_column: IdColumn = "id",
    prompts_dir: Annotated[
        Path | None, typer.Option(help="Folder with caption_cot.txt/description.txt/reasoning.txt overriding ours.")
    ] = None,
    min_reasoning_chars: Annotated[int, typer.Option(help="Shorter reasoning is filtered out.")] = 200,
    max_reasoning_chars: Annotated[int, typer.Option(help="Longer reasoning is filtered out.")] = 60000,
    resume: Resume = False,
    parquet: Annotated[bool, typer.Option(help="Also write the dataset as parquet.")] = False,
    exclude_benchmark: ExcludeBenchmark = None,
    strict: Strict = False,
    mllm_url: Annotated[list[str] | None, hidden_alias("--mllm-url", "--base-url")] = None,
    mllm_model: Annotated[str | None, hidden_alias("--mllm-model", "--model")] = None,
    reasoner_url: Annotated[list[str] | None, hidden_alias("--reasoner-url", "--reasoner-base-url")] = None,
    mllm_api_key_env: Annotated[str | None, hidden_alias("--mllm-api-key-env", "--api-key-env")] = None,
    mllm_max_tokens: Annotated[int | None, hidden_alias("--mllm-max-tokens", "--max-tokens")] = None,
) -> None:
    """Modality bridging: build multimodal chain-of-thought SFT data without human labels."""
    from rich.live import Live

    from vision_r1_plugins.bridge.filters import FilterConfig
    from vision_r1_plugins.bridge.pipeline import BridgeConfig, BridgeProgress, bridge, check_outcome
    from vision_r1_plugins.bridge.stages import stage_names
    from vision_r1_plugins.generation import BackendConfig, RetryPolicy, Sampling, make_backend
    from vision_r1_plugins.generation.endpoints import split_urls

    mllm_name = pick(model, mllm_model, "--mllm-model", "--model", required=True)
    url = split_urls(pick(base_url, mllm_url, "--mllm-url", "--base-url")) or None
    reasoner = split_urls(pick(reasoner_base_url, reasoner_url, "--reasoner-url", "--reasoner-base-url")) or url
    key_env = pick(None, mllm_api_key_env, "--mllm-api-key-env", "--api-key-env") or api_key_env
    mllm_tokens = pick(max_tokens, mllm_max_tokens, "--mllm-max-tokens", "--max-tokens") or 2048
    retry = RetryPolicy(max_attempts=max_attempts)

    def config(name: str, server: tuple[str, ...] | None, env: str, tokens: int) -> BackendConfig:
        sampling = Sampling(temperature=temperature, top_p=top_p, max_tokens=tokens)
        return BackendConfig(backend, name, server, env, sampling, concurrency, timeout, retry)

    assert mllm_name is not None
    mllm = make_backend(config(mllm_name, url, key_env, mllm_tokens))
    reasoner_backend = make_backend(
        config(reasoner_model or mllm_name, reasoner, reasoner_api_key_env, reasoner_max_tokens)
    )
    bridge_config = BridgeConfig(
        input=input_path,
        out_dir=out,
        resume=resume,
        prompts_dir=prompts_dir,
        parquet=parquet,
        columns=problem_columns(image_column, question_column, answer_column, choices_column, id_column),
        filters=FilterConfig(min_reasoning_chars=min_reasoning_chars, max_reasoning_chars=max_reasoning_chars),
        max_active_samples=max(4 * concurrency, 16),
        exclude=benchmark_index(exclude_benchmark),
    )
    state: dict[str, BridgeProgress] = {}

    def render() -> Table | Text:
        progress = state.get("progress")
        if progress is None:  # nothing until the first sample moves: a failed pre-flight check prints no table
            return Text("")
        table = Table(title="modality bridging")
        for column in ("stage", "done", "cached", "in flight", "retried", "failed"):
            table.add_column(column, justify="left" if column == "stage" else "right")
        for stage in stage_names():
            counter = progress.stages[stage]
            table.add_row(
                stage,
                str(counter.done),
                str(counter.cached),
                str(counter.in_flight),
                str(counter.retried),
                str(counter.failed),
            )
        table.caption = (
            f"samples read {progress.read}: kept {progress.kept}, "
            f"filtered {progress.filtered_total}, rejected {progress.rejected_total}"
        )
        return table

    # Transient: the summary below starts with the run's outcome, then the final stage table.
    with Live(get_renderable=render, console=console, refresh_per_second=4, transient=True):
        report = bridge(
            bridge_config, mllm, reasoner_backend, on_update=lambda progress: state.__setitem__("progress", progress)
        )
    if report.imported_results:
        console.print(
            f"imported {report.imported_results} results stored by an older version in {out / 'requests.jsonl'} "
            f"into {out / 'requests.sqlite'} (once; the old file is left as it was)",
            markup=False,
            soft_wrap=True,
        )
    check_outcome(report)  # nothing kept fails before the tables; --strict after them
    console.print(report.headline(), markup=False, soft_wrap=True)  # one line, for logs and greps
    console.print(render())
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
    check_outcome(report, strict=strict)
