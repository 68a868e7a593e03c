"""``vision-r1 eval``: generate answers for a benchmark file, score them without a judge model, summarise.

Generation goes through the shared backends (an OpenAI-compatible server such as ``vllm serve``, a local
transformers model, or vLLM), concurrently and resumably: every response is appended to ``responses.jsonl`` as it
arrives, keyed by (row id, sampling settings, model), and ``--resume`` reuses them. Scoring follows MathVista's
official normalisation plus math-verify for free-form answers (:mod:`vision_r1_plugins.eval.scoring`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.store import ResultStore
from vision_r1_plugins.eval.benchmarks import get_benchmark
from vision_r1_plugins.eval.dataset import EvalRow, prompt_of, read_benchmark
from vision_r1_plugins.eval.results import EvalReport, Response, score_row, unscored_record, write_run
from vision_r1_plugins.eval.score import check_protocol
from vision_r1_plugins.generation import Backend, RequestFailed, chat_messages


@dataclass(frozen=True)
class EvalConfig:
    benchmark_path: Path
    out_dir: Path
    benchmark: str = "vision_r1"
    resume: bool = False
    limit: int | None = None
    system_prompt: str | None = None
    concurrency: int = 16
    protocol: str = "official"


def sampling_key(backend: Backend) -> str:
    """Part of each cached response's key: other sampling settings are another run."""
    return hashlib.sha256(json.dumps(asdict(backend.sampling), sort_keys=True).encode()).hexdigest()[:12]


async def _generate(config: EvalConfig, rows: list[EvalRow], backend: Backend, store: ResultStore,
                    on_progress: Callable[[int], None] | None) -> dict[str, dict[str, Any] | str]:  # fmt: skip
    key_part = sampling_key(backend)
    limiter = asyncio.Semaphore(config.concurrency)
    results: dict[str, dict[str, Any] | str] = {}

    async def one(row: EvalRow) -> None:
        key = (row.id, "eval", key_part, backend.model)
        cached = store.get(key)
        if cached is None:
            messages = chat_messages(prompt_of(row), row.problem.images, config.system_prompt)
            try:
                async with limiter:
                    result = await backend.complete(messages)
            except RequestFailed as error:
                results[row.id] = f"request_failed: {error}"
                if on_progress:
                    on_progress(1)
                return
            cached = {"response": result.text, "finish_reason": result.finish_reason,
                      "tokens": result.completion_tokens}  # fmt: skip
            store.put(key, cached)
        results[row.id] = cached
        if on_progress:
            on_progress(1)

    try:
        await asyncio.gather(*(one(row) for row in rows))
    finally:
        await backend.aclose()
    return results


def evaluate(config: EvalConfig, backend: Backend, on_progress: Callable[[int], None] | None = None) -> EvalReport:
    """Generate a response for every row (resumably), score both protocols, write the run folder.

    A failed request stays in the denominator as a wrong row and is reported under ``failed``."""
    protocol = check_protocol(config.protocol)
    spec = get_benchmark(config.benchmark)
    out = Path(config.out_dir)
    rows, invalid = read_benchmark(Path(config.benchmark_path), spec, config.limit)
    out.mkdir(parents=True, exist_ok=True)
    store = ResultStore(out / "responses.jsonl", resume=config.resume)
    try:
        responses = asyncio.run(_generate(config, rows, backend, store, on_progress))
    finally:
        store.close()
    records = []
    for row in rows:
        result = responses.get(row.id)
        if isinstance(result, dict):
            response = Response(result["response"], result.get("tokens"), result.get("finish_reason"))
            records.append(score_row(row, response, spec))
        else:
            records.append(unscored_record(row, failed=str(result)))
    return write_run(out, spec, rows, records, invalid, protocol)
