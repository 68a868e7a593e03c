"""``vision-r1 eval``: generate answers for a benchmark file, score them without a judge model, summarise.

Generation goes through the bridge's backends (an OpenAI-compatible server such as ``vllm serve``, or a local
transformers model), concurrently and resumably: every response is appended to ``responses.jsonl`` as it
arrives, keyed by (row id, sampling settings, model), and ``--resume`` reuses them. Scoring follows MathVista's
official normalisation plus math-verify for free-form answers (:mod:`vision_r1_plugins.eval.scoring`).
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vision_r1_plugins.bridge.backends import Backend, RequestFailed, user_message
from vision_r1_plugins.bridge.filters import reflection_markers
from vision_r1_plugins.bridge.inputs import ImageRef, image_ref, raw_rows
from vision_r1_plugins.bridge.store import ResultStore
from vision_r1_plugins.eval.benchmarks import BenchmarkSpec, get_benchmark
from vision_r1_plugins.eval.scoring import EvalItem, score_item

SCORING_TIMEOUT = 10.0


@dataclass(frozen=True)
class EvalRow:
    index: int
    id: str
    prompt: str
    images: tuple[ImageRef, ...]
    item: EvalItem


@dataclass(frozen=True)
class EvalConfig:
    benchmark_path: Path
    out_dir: Path
    benchmark: str = "vision_r1"
    resume: bool = False
    limit: int | None = None
    system_prompt: str | None = None
    concurrency: int = 16


@dataclass
class EvalReport:
    rows: int
    scored: int
    failed: int
    accuracy: float
    by_category: dict[str, dict[str, float]]
    by_question_type: dict[str, dict[str, float]]
    no_answer_share: float
    hit_max_tokens_share: float
    response_tokens: dict[str, float]
    markers_per_response: dict[str, float]
    invalid_rows: int = 0
    paths: dict[str, str] = field(default_factory=dict)


def _field(row: dict[str, Any], dotted: str | None) -> Any:
    value: Any = row
    for part in (dotted or "").split("."):
        if not part or not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def map_row(index: int, row: Any, spec: BenchmarkSpec, base: Path) -> EvalRow | str:
    """A benchmark row as an :class:`EvalRow`, or why it cannot be evaluated."""
    if not isinstance(row, dict):
        return "not an object"
    prompt = next((row[name] for name in spec.prompt if isinstance(row.get(name), str) and row[name].strip()), None)
    if prompt is None:
        return f"no question in {spec.prompt}"
    answer = _field(row, spec.answer)
    if answer is None or str(answer).strip() == "":
        return "no answer"
    images_value = next((row[name] for name in spec.images if row.get(name) is not None), None)
    values = [] if images_value is None else images_value if isinstance(images_value, list) else [images_value]
    images = []
    for value in values:
        ref = image_ref(value, base)
        if isinstance(ref, str):
            return ref
        images.append(ref)
    choices = _field(row, spec.choices)
    precision = _field(row, spec.precision)
    item = EvalItem(
        question=prompt, answer=str(answer).strip(),
        choices=tuple(str(option) for option in choices) if isinstance(choices, list) and choices else None,
        question_type=str(_field(row, spec.question_type) or "free_form").replace("-", "_"),
        answer_type=str(_field(row, spec.answer_type) or "text"),
        precision=int(precision) if isinstance(precision, int | float) and math.isfinite(precision) else None,
        category=_field(row, spec.category),
    )  # fmt: skip
    # Geometry3k-style prompts carry "<image>" markers; the images travel as message parts instead.
    return EvalRow(
        index, str(_field(row, spec.id) or index), prompt.replace("<image>", "").strip(), tuple(images), item
    )


def sampling_key(backend: Backend) -> str:
    settings = {name: getattr(backend, name, None) for name in ("max_tokens", "max_new_tokens", "temperature", "top_p")}
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


async def _generate(config: EvalConfig, rows: list[EvalRow], backend: Backend, store: ResultStore,
                    on_progress: Callable[[int], None] | None) -> dict[str, dict[str, Any] | str]:  # fmt: skip
    key_part = sampling_key(backend)
    limiter = asyncio.Semaphore(config.concurrency)
    results: dict[str, dict[str, Any] | str] = {}

    async def one(row: EvalRow) -> None:
        key = (row.id, "eval", key_part, backend.model)
        cached = store.get(key)
        if cached is None:
            messages = [{"role": "system", "content": config.system_prompt}] if config.system_prompt else []
            messages.append(user_message(row.prompt, row.images))
            try:
                async with limiter:
                    result = await backend.complete(messages)
            except RequestFailed as error:
                results[row.id] = f"request_failed: {error}"
                return
            text = f"<think>\n{result.reasoning}\n</think>\n{result.content}" if result.reasoning else result.content
            cached = {"response": text, "finish_reason": result.finish_reason, "tokens": result.completion_tokens}
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
    spec = get_benchmark(config.benchmark)
    source = Path(config.benchmark_path)
    base = source if source.is_dir() else source.parent
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows, invalid = [], []
    for index, raw in enumerate(raw_rows(source)):
        if config.limit is not None and index >= config.limit:
            break
        mapped = map_row(index, raw, spec, base)
        (rows if isinstance(mapped, EvalRow) else invalid).append(mapped if isinstance(mapped, EvalRow) else
                                                                  {"index": index, "reason": mapped})  # fmt: skip
    ids = [row.id for row in rows]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate ids in {source}: {[item for item, n in Counter(ids).items() if n > 1][:5]}")
    store = ResultStore(out / "responses.jsonl", resume=config.resume)
    try:
        responses = asyncio.run(_generate(config, rows, backend, store, on_progress))
    finally:
        store.close()
    return _score_and_write(config, rows, invalid, responses, out)


def _score_and_write(config: EvalConfig, rows: list[EvalRow], invalid: list[dict[str, Any]],
                     responses: dict[str, Any], out: Path) -> EvalReport:  # fmt: skip
    records = []
    for row in rows:
        response = responses.get(row.id)
        if not isinstance(response, dict):
            records.append({"id": row.id, "failed": str(response)})
            continue
        # The deadline routes math-verify through the reward's killable workers: one pathological answer
        # (a power tower) must not stall a whole evaluation.
        scored = score_item(response["response"], row.item, timeout=SCORING_TIMEOUT)
        markers = reflection_markers(response["response"])
        records.append({
            "id": row.id, "category": row.item.category, "question_type": row.item.question_type,
            "answer_type": row.item.answer_type, "answer": row.item.answer, "extracted": scored.extracted,
            "normalized": scored.normalized, "method": scored.method, "correct": scored.correct,
            "response_tokens": response.get("tokens") or len(response["response"].split()),
            "hit_max_tokens": response.get("finish_reason") == "length", "markers": markers,
            "response": response["response"],
        })  # fmt: skip
    scored_rows = [record for record in records if "failed" not in record]
    with (out / "rows.jsonl").open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    columns = ["id", "category", "question_type", "answer_type", "answer", "extracted", "normalized", "method",
               "correct", "response_tokens", "hit_max_tokens"]  # fmt: skip
    with (out / "results.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(scored_rows)
    with (out / "invalid.jsonl").open("w", encoding="utf-8") as handle:
        for record in invalid:
            handle.write(json.dumps(record) + "\n")

    def grouped(key: str) -> dict[str, dict[str, float]]:
        groups: dict[str, list[bool]] = defaultdict(list)
        for record in scored_rows:
            groups[str(record.get(key) or "unknown")].append(record["correct"])
        return {
            name: {"rows": len(values), "accuracy": sum(values) / len(values)}
            for name, values in sorted(groups.items())
        }

    count = max(len(scored_rows), 1)
    tokens = [record["response_tokens"] for record in scored_rows]
    report = EvalReport(
        rows=len(rows), scored=len(scored_rows), failed=len(records) - len(scored_rows),
        accuracy=sum(record["correct"] for record in scored_rows) / count,
        by_category=grouped("category"), by_question_type=grouped("question_type"),
        no_answer_share=sum(record["extracted"] is None for record in scored_rows) / count,
        hit_max_tokens_share=sum(record["hit_max_tokens"] for record in scored_rows) / count,
        response_tokens={"mean": statistics.fmean(tokens) if tokens else 0.0,
                         "median": statistics.median(tokens) if tokens else 0.0},
        markers_per_response={name: sum(record["markers"].get(name, 0) for record in scored_rows) / count
                              for name in ("wait", "hmm", "double_check")},
        invalid_rows=len(invalid),
        paths={"rows": str(out / "rows.jsonl"), "csv": str(out / "results.csv"), "summary": str(out / "summary.json")},
    )  # fmt: skip
    (out / "summary.json").write_text(json.dumps(report.__dict__, indent=2) + "\n", encoding="utf-8")
    return report
