"""``vision-r1 eval``: generate answers for a benchmark file, score them without a judge model, summarise.

Generation goes through the shared backends (an OpenAI-compatible server such as ``vllm serve``, a local
transformers model, or vLLM), concurrently and resumably: every response is committed to ``responses.sqlite`` as it
arrives, keyed by (row id, sampling settings, model), and ``--resume`` reuses them; ``responses.jsonl`` is written
from it at the end of the run (an older version's ``responses.jsonl`` store is imported on the first resume).
Scoring follows MathVista's official normalisation plus math-verify for free-form answers
(:mod:`vision_r1_plugins.eval.strict_protocol`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.errors import RunError
from vision_r1_plugins.core.files import atomic_writer
from vision_r1_plugins.core.store import LegacyJsonl, ResultStore, StoreKey, read_results
from vision_r1_plugins.core.sync import run_sync
from vision_r1_plugins.eval.benchmark_file import EvalRow, prompt_of, read_benchmark
from vision_r1_plugins.eval.run_folder import EvalReport, Response, score_row, unscored_record, write_run
from vision_r1_plugins.eval.score_responses import check_protocol
from vision_r1_plugins.eval.tasks import get_benchmark
from vision_r1_plugins.generation import Backend, RequestFailed, ServersGone, chat_messages, sampling_key

STORE_FILE = "responses.sqlite"
RESPONSES_FILE = "responses.jsonl"


def _legacy_key(parts: list[Any]) -> StoreKey:
    # responses.jsonl keys are [row id, "eval", sampling key, model].
    if len(parts) != 4 or parts[1] != "eval" or not all(isinstance(part, str) for part in parts):
        raise ValueError(f"expected [row id, 'eval', sampling key, model], got {parts!r}")
    return StoreKey(parts[0], "eval", "", parts[3], parts[2])


def write_responses(store: Path, target: Path) -> None:
    """Every response in the store as ``responses.jsonl`` (what ``eval score --responses`` reads), streamed: one
    ``{"key": [row id, "eval", sampling key, model], "result": {...}}`` line per response, in the order they came."""
    with atomic_writer(target) as out:
        for key, result in read_results(store):
            line = {"key": [key.sample, key.stage, key.sampling, key.model], "result": result}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


@dataclass(frozen=True)
class EvalConfig:
    """What :func:`evaluate` reads and writes: the benchmark file and its layout (``benchmark``: a registered name),
    the run folder, ``resume`` (reuse saved responses), ``limit`` (first N rows), the system prompt, requests in
    flight per server, the headline ``protocol`` (``official`` or ``strict``) and the image column (``""``: ask
    without images).

    >>> config = EvalConfig(Path("testmini.parquet"), Path("runs/mathvista"), benchmark="mathvista_testmini")
    """

    benchmark_path: Path
    out_dir: Path
    benchmark: str = "vision_r1"
    resume: bool = False
    limit: int | None = None
    system_prompt: str | None = None
    concurrency: int = 16
    protocol: str = "official"
    image_column: str | None = None  # None: the benchmark's own; "": ask without images


async def _generate(
    config: EvalConfig,
    rows: list[EvalRow],
    backend: Backend,
    store: ResultStore,
    on_progress: Callable[[int], None] | None,
) -> dict[str, dict[str, Any] | str]:
    key_part = sampling_key(backend.sampling)
    # Per server: with several replicas (--base-url A,B) each keeps `concurrency` requests in flight.
    limiter = asyncio.Semaphore(config.concurrency * max(len(getattr(backend, "urls", ())), 1))
    results: dict[str, dict[str, Any] | str] = {}
    stopped: list[ServersGone] = []

    async def one(row: EvalRow) -> None:
        key = StoreKey(row.id, "eval", "", backend.model, key_part)
        cached = store.get(key)
        if cached is None:
            messages = chat_messages(prompt_of(row), row.problem.images, config.system_prompt)
            try:
                async with limiter:
                    if stopped:
                        return
                    result = await backend.complete(messages, key=row.id)
            except ServersGone as gone:
                stopped.append(gone)
                return
            except RequestFailed as error:
                results[row.id] = f"request_failed: {error}"
                if on_progress:
                    on_progress(1)
                return
            cached = {
                "response": result.text,
                "finish_reason": result.finish_reason,
                "tokens": result.completion_tokens,
            }
            store.put(key, cached)
        results[row.id] = cached
        if on_progress:
            on_progress(1)

    try:
        await backend.probe()  # before any row is spent on a server that is not there
        await asyncio.gather(*(one(row) for row in rows))
    finally:
        await backend.aclose()
    if stopped:
        done = sum(isinstance(result, dict) for result in results.values())
        raise RunError(
            f"stopped after {done} of {len(rows)} responses: {stopped[0]}. Every response so far is "
            f"saved in {store.path}: rerun with --resume to continue"
        )
    return results


def evaluate(config: EvalConfig, backend: Backend, on_progress: Callable[[int], None] | None = None) -> EvalReport:
    """Generate a response for every row (resumably), score both protocols, write the run folder.

    A failed request stays in the denominator as a wrong row and is reported under ``failed``. Callable from a
    running event loop (Jupyter); there ``on_progress`` is called from a worker thread.

    >>> from vision_r1_plugins.generation import BackendConfig, make_backend
    >>> backend = make_backend(BackendConfig("openai", "my-model", "http://localhost:8000/v1"))  # doctest: +SKIP
    >>> report = evaluate(EvalConfig(Path("bench.jsonl"), Path("runs/bench")), backend)  # doctest: +SKIP
    >>> report.accuracy  # doctest: +SKIP
    0.75
    """
    return run_sync(evaluate_async(config, backend, on_progress))


async def evaluate_async(
    config: EvalConfig, backend: Backend, on_progress: Callable[[int], None] | None = None
) -> EvalReport:
    """:func:`evaluate` for async code: ``report = await evaluate_async(config, backend)``.

    Reading the benchmark and scoring run in a worker thread, so the caller's loop stays free throughout."""
    protocol = check_protocol(config.protocol)
    spec = get_benchmark(config.benchmark)
    if config.image_column is not None:
        spec = replace(spec, images=(config.image_column,) if config.image_column else ())
    out = Path(config.out_dir)
    rows, invalid = await asyncio.to_thread(read_benchmark, Path(config.benchmark_path), spec, config.limit)
    out.mkdir(parents=True, exist_ok=True)
    legacy = LegacyJsonl(out / RESPONSES_FILE, _legacy_key)
    store = ResultStore(out / STORE_FILE, resume=config.resume, legacy=legacy)
    try:
        responses = await _generate(config, rows, backend, store, on_progress)
    finally:
        store.close()
        await asyncio.to_thread(write_responses, out / STORE_FILE, out / RESPONSES_FILE)

    def score_and_write() -> EvalReport:
        records = []
        for row in rows:
            result = responses.get(row.id)
            if isinstance(result, dict):
                response = Response(result["response"], result.get("tokens"), result.get("finish_reason"))
                records.append(score_row(row, response, spec))
            else:
                records.append(unscored_record(row, failed=str(result)))
        return write_run(out, spec, rows, records, invalid, protocol)

    return await asyncio.to_thread(score_and_write)
