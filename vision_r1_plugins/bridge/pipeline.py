"""Modality bridging, end to end: ``vision-r1 bridge``.

For each (image(s), question, gold answer):
1. the MLLM writes a pseudo-CoT (caption + reasoning) from the image, the question and the gold as a hint;
2. the MLLM writes a detailed description from the image, the question and that pseudo-CoT;
3. the text-only reasoner reasons from the description and the question;
then the reasoning is rewritten to speak of the image, composed into ``<think>..</think><answer>..</answer>``,
and kept only if the project's reward accepts format and answer and the quality rules pass.

Samples stream through the stages independently (a sample enters stage 2 as soon as its stage 1 returns; no
global barrier), with a bounded number of requests in flight per endpoint and a bounded number of samples
active at once, so memory stays flat on 200K-sample runs. Every finished request is in the result store, so a
killed run resumes without repeating work. Every input row ends in exactly one of kept, filtered or rejected.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import statistics
import string
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vision_r1_plugins.bridge.backends import (
    Backend,
    ChatResult,
    PriorityLimiter,
    RequestFailed,
    image_parts,
    user_message,
)
from vision_r1_plugins.bridge.filters import (
    FilterConfig,
    reflection_markers,
    rewrite_description_references,
    run_filters,
)
from vision_r1_plugins.bridge.inputs import IMAGE_PLACEHOLDER, InputColumns, RejectedInput, Sample, read_samples
from vision_r1_plugins.bridge.store import ResultStore
from vision_r1_plugins.reward import compute_score
from vision_r1_plugins.reward.answer import clean_answer
from vision_r1_plugins.reward.response_format import THINK_CLOSE, THINK_OPEN, last_boxed

STAGES = ("caption_cot", "description", "reasoning")
PROMPTS_DIR = Path(__file__).with_name("prompts")
DATASET_NAME = "vision_r1_bridged"


@dataclass(frozen=True)
class Prompt:
    stage: str
    text: str

    @property
    def version(self) -> str:
        """Changing a prompt changes its version, so cached results of the old prompt are not reused."""
        return hashlib.sha256(self.text.encode()).hexdigest()[:12]

    def render(self, **values: str) -> str:
        return string.Template(self.text).substitute(values)


def load_prompts(override_dir: str | Path | None = None) -> dict[str, Prompt]:
    """Our prompts, each replaceable by a file of the same name (``caption_cot.txt``, ...) in ``override_dir``."""
    prompts = {}
    for stage in STAGES:
        path = Path(override_dir) / f"{stage}.txt" if override_dir else None
        if path is None or not path.is_file():
            path = PROMPTS_DIR / f"{stage}.txt"
        prompt = Prompt(stage, path.read_text(encoding="utf-8"))
        missing = {"caption_cot": {"question", "answer"}, "description": {"question", "pseudo_cot"},
                   "reasoning": {"question", "description"}}[stage] - _placeholders(prompt.text)  # fmt: skip
        if missing:
            raise ValueError(f"prompt {path} lacks placeholders {sorted('${' + name + '}' for name in missing)}")
        prompts[stage] = prompt
    return prompts


def _placeholders(text: str) -> set[str]:
    return {match.group("named") or match.group("braced") for match in string.Template.pattern.finditer(text)
            if match.group("named") or match.group("braced")}  # fmt: skip


@dataclass
class StageCounter:
    done: int = 0
    cached: int = 0
    in_flight: int = 0
    retried: int = 0
    failed: int = 0


@dataclass
class BridgeProgress:
    total_hint: int | None = None
    read: int = 0
    kept: int = 0
    filtered: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    stages: dict[str, StageCounter] = field(default_factory=lambda: {stage: StageCounter() for stage in STAGES})

    @property
    def finished(self) -> int:
        return self.kept + sum(self.filtered.values()) + sum(self.rejected.values())


@dataclass(frozen=True)
class BridgeConfig:
    input: Path
    out_dir: Path
    columns: InputColumns = field(default_factory=InputColumns)
    resume: bool = False
    filters: FilterConfig = field(default_factory=FilterConfig)
    max_active_samples: int = 256
    prompts_dir: Path | None = None
    parquet: bool = False


@dataclass
class BridgeReport:
    input: int
    kept: int
    filtered: dict[str, int]
    rejected: dict[str, int]
    requests: dict[str, dict[str, int]]
    reasoning_chars: dict[str, float]
    reflection_per_sample: dict[str, float]
    description_rewrites: int
    elapsed_seconds: float
    dataset_path: Path
    summary_path: Path

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["dataset_path"], data["summary_path"] = str(self.dataset_path), str(self.summary_path)
        return data


class _StageFailed(Exception):
    def __init__(self, stage: str, error: RequestFailed) -> None:
        super().__init__(f"{stage}: {error}")
        self.stage = stage


def split_reasoning(result: ChatResult) -> tuple[str, str]:
    """(reasoning, answer text) from a reasoning model: a separate reasoning field, or ``<think>`` inline."""
    if result.reasoning:
        return result.reasoning.strip(), result.content.strip()
    content = result.content
    close = content.rfind(THINK_CLOSE)
    if close < 0:
        return "", content.strip()
    reasoning = content[:close]
    opened = reasoning.find(THINK_OPEN)
    if opened >= 0:
        reasoning = reasoning[opened + len(THINK_OPEN) :]
    return reasoning.strip(), content[close + len(THINK_CLOSE) :].strip()


_FINAL_ANSWER = re.compile(r"(?:final answer|the answer is)\s*[:：]?\s*(.+)", re.IGNORECASE)


def final_answer(answer_text: str) -> str:
    """The final answer in the reasoner's reply: the last ``\\boxed{}``, else a 'Final Answer: X' line."""
    content, _, _ = last_boxed(answer_text)
    if content is not None and content.strip():
        return content.strip()
    for line in reversed(answer_text.splitlines()):
        match = _FINAL_ANSWER.search(line)
        if match:
            return clean_answer(match.group(1)).strip().rstrip(".")
    return ""


def compose_response(reasoning: str, answer: str) -> str:
    return f"{THINK_OPEN}\n{reasoning}\n{THINK_CLOSE}\n<answer> Final Answer: {answer} </answer>"


class _Run:
    def __init__(
        self,
        config: BridgeConfig,
        mllm: Backend,
        reasoner: Backend,
        progress: BridgeProgress,
        on_update: Callable[[BridgeProgress], None] | None,
    ) -> None:
        self.config = config
        self.backends = {"caption_cot": mllm, "description": mllm, "reasoning": reasoner}
        # One bound per endpoint: when every stage goes to the same server, they share its concurrency.
        limiters: dict[str, PriorityLimiter] = {}
        for backend in (mllm, reasoner):
            endpoint, limit = getattr(backend, "base_url", None), getattr(backend, "concurrency", None)
            if endpoint and limit:
                backend.limiter = limiters.setdefault(endpoint.rstrip("/"), PriorityLimiter(limit))  # type: ignore[attr-defined]
        self.prompts = load_prompts(config.prompts_dir)
        self.progress = progress
        self.on_update = on_update or (lambda progress: None)
        out = config.out_dir
        out.mkdir(parents=True, exist_ok=True)
        (out / "images").mkdir(exist_ok=True)
        self.store = ResultStore(out / "requests.jsonl", resume=config.resume)
        # Outcome files are rebuilt on every run from the store, so a resumed run writes each sample once.
        self.kept = (out / "kept.jsonl").open("w", encoding="utf-8")
        self.filtered_out = (out / "filtered.jsonl").open("w", encoding="utf-8")
        self.rejects = (out / "rejects.jsonl").open("w", encoding="utf-8")
        self.seen_ids: set[str] = set()
        self.reasoning_lengths: list[int] = []
        self.markers: Counter[str] = Counter()
        self.rewrites = 0

    # ----------------------------------------------------------------------------------------------------
    async def _stage(self, sample: Sample, stage: str, text: str, images: list[dict[str, Any]]) -> ChatResult:
        backend = self.backends[stage]
        key = (sample.id, stage, self.prompts[stage].version, backend.model)
        counter = self.progress.stages[stage]
        cached = self.store.get(key)
        if cached is not None:
            counter.cached += 1
            return ChatResult(cached["content"], cached.get("reasoning"), cached.get("finish_reason"))

        def retried() -> None:
            counter.retried += 1
            self.on_update(self.progress)

        counter.in_flight += 1
        self.on_update(self.progress)
        try:
            messages = [user_message(text, images)]
            # Later stages first: samples under way finish before new ones start.
            result = await backend.complete(messages, on_retry=retried, priority=len(STAGES) - STAGES.index(stage))
        except RequestFailed as error:
            counter.failed += 1
            raise _StageFailed(stage, error) from error
        finally:
            counter.in_flight -= 1
        self.store.put(key, {"content": result.content, "reasoning": result.reasoning,
                             "finish_reason": result.finish_reason})  # fmt: skip
        counter.done += 1
        self.on_update(self.progress)
        return result

    async def _process(self, sample: Sample) -> None:
        question = sample.question_with_choices()
        prompts = self.prompts
        images = image_parts(sample.images)  # both MLLM stages send the same images: encode them once
        try:
            caption = prompts["caption_cot"].render(question=question, answer=sample.answer)
            pseudo = await self._stage(sample, "caption_cot", caption, images)
            described = prompts["description"].render(question=question, pseudo_cot=pseudo.content)
            description = await self._stage(sample, "description", described, images)
            reasoning = prompts["reasoning"].render(question=question, description=description.content)
            reasoned = await self._stage(sample, "reasoning", reasoning, [])
        except _StageFailed as failure:
            self._reject(RejectedInput(sample.index, sample.id, f"request_failed:{failure.stage}", str(failure)))
            return
        self._judge(sample, question, reasoned)

    def _judge(self, sample: Sample, question: str, reasoned: ChatResult) -> None:
        reasoning, answer_text = split_reasoning(reasoned)
        reasoning, rewrites = rewrite_description_references(reasoning)
        answer = final_answer(answer_text)
        response = compose_response(reasoning, answer)
        verdict = None
        if reasoned.finish_reason == "length":
            verdict = ("truncated", "the reasoner hit its token limit")
        elif not reasoning:
            verdict = ("no_reasoning", "the reasoner returned no reasoning")
        elif not answer:
            verdict = ("no_answer", "no \\boxed{} or 'Final Answer:' in the reply")
        else:
            extra = {"choices": list(sample.choices)} if sample.choices else None
            score = compute_score("vision_r1_bridge", response, sample.answer, extra)
            if not score["format_ok"]:
                verdict = ("format", score["reason"])
            elif not score["answer_ok"]:
                verdict = ("answer_mismatch", f"{score['reason']}: predicted {score['pred']!r}, gold {sample.answer!r}")
            else:
                quality = run_filters(reasoning, answer_text, question, self.config.filters)
                if not quality.ok:
                    verdict = (quality.reason, quality.detail)
        if verdict is not None:
            self.progress.filtered[verdict[0]] += 1
            record = {"index": sample.index, "id": sample.id, "reason": verdict[0], "detail": verdict[1],
                      "response": response}  # fmt: skip
            self.filtered_out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            self._keep(sample, response)
            self.rewrites += rewrites
            self.reasoning_lengths.append(len(reasoning))
            self.markers.update(reflection_markers(reasoning))
        self.on_update(self.progress)

    def _keep(self, sample: Sample, response: str) -> None:
        names = []
        stem = _safe_name(sample.id)
        for number, image in enumerate(sample.images):
            extension = {"JPEG": "jpg", "JPG": "jpg", "MPO": "jpg"}.get(image.format.upper(), image.format.lower())
            name = f"images/{stem}_{number}.{extension}"
            target = self.config.out_dir / name
            if not target.exists():
                target.write_bytes(image.read())
            names.append(name)
        row = {
            "messages": [
                {"role": "user", "content": IMAGE_PLACEHOLDER * len(names) + sample.question_with_choices()},
                {"role": "assistant", "content": response},
            ],
            "images": names,
        }
        self.kept.write(json.dumps({"index": sample.index, "id": sample.id, "row": row}, ensure_ascii=False) + "\n")
        self.progress.kept += 1

    def _reject(self, rejected: RejectedInput) -> None:
        self.progress.rejected[rejected.reason.split(":")[0] if rejected.reason.startswith("request_failed")
                               else rejected.reason] += 1  # fmt: skip
        record = {"index": rejected.index, "id": rejected.id, "reason": rejected.reason, "detail": rejected.detail}
        self.rejects.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self.on_update(self.progress)

    # ----------------------------------------------------------------------------------------------------
    async def run(self) -> None:
        active = asyncio.Semaphore(self.config.max_active_samples)
        tasks: set[asyncio.Task[None]] = set()
        rows = read_samples(self.config.input, self.config.columns)
        while True:
            # Reading verifies images (file I/O, decoding headers): off the event loop, a few rows at a time.
            batch = await asyncio.to_thread(_take, rows, 32)
            if not batch:
                break
            for item in batch:
                self.progress.read += 1
                if isinstance(item, RejectedInput):
                    self._reject(item)
                    continue
                if item.id in self.seen_ids:
                    self._reject(RejectedInput(item.index, item.id, "duplicate_id", "an earlier row has this id"))
                    continue
                self.seen_ids.add(item.id)
                await active.acquire()
                task = asyncio.create_task(self._process(item))
                tasks.add(task)
                task.add_done_callback(lambda done: (tasks.discard(done), active.release()))
        await asyncio.gather(*tasks)

    def close(self) -> None:
        for handle in (self.kept, self.filtered_out, self.rejects):
            handle.close()
        self.store.close()


def _take(rows: Iterator[Any], count: int) -> list[Any]:
    batch = []
    for item in rows:
        batch.append(item)
        if len(batch) == count:
            break
    return batch


def _safe_name(sample_id: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", sample_id)[:80]
    if cleaned == sample_id:
        return cleaned
    return f"{cleaned}_{hashlib.sha256(sample_id.encode()).hexdigest()[:8]}"  # distinct ids stay distinct


def export(out_dir: Path, parquet: bool = False) -> tuple[Path, int]:
    """Kept rows, in input order, as LLaMA-Factory sharegpt JSON registered in ``out_dir/dataset_info.json``."""
    from vision_r1_plugins.llamafactory.dataset_info import bundled_entries, register_datasets

    records = [json.loads(line) for line in (out_dir / "kept.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = [record["row"] for record in sorted(records, key=lambda record: record["index"])]
    path = out_dir / f"{DATASET_NAME}.json"
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    temporary.replace(path)
    register_datasets(out_dir, bundled_entries([DATASET_NAME]), force=True)
    if parquet:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), out_dir / f"{DATASET_NAME}.parquet")
    return path, len(rows)


async def bridge_async(
    config: BridgeConfig, mllm: Backend, reasoner: Backend,
    on_update: Callable[[BridgeProgress], None] | None = None, total_hint: int | None = None,
) -> BridgeReport:  # fmt: skip
    started = time.monotonic()
    progress = BridgeProgress(total_hint=total_hint)
    run = _Run(config, mllm, reasoner, progress, on_update)
    try:
        await run.run()
    finally:
        run.close()
        for backend in {id(b): b for b in (mllm, reasoner)}.values():
            with contextlib.suppress(Exception):
                await backend.aclose()
    dataset_path, exported = export(config.out_dir, config.parquet)
    if progress.finished != progress.read or exported != progress.kept:  # the contract, checked
        raise AssertionError(
            f"sample accounting broke: read {progress.read}, finished {progress.finished}, "
            f"exported {exported}, kept {progress.kept}"
        )
    lengths = run.reasoning_lengths
    report = BridgeReport(
        input=progress.read, kept=progress.kept, filtered=dict(progress.filtered), rejected=dict(progress.rejected),
        requests={stage: dict(counter.__dict__) for stage, counter in progress.stages.items()},
        reasoning_chars={"mean": statistics.fmean(lengths) if lengths else 0.0,
                         "median": statistics.median(lengths) if lengths else 0.0,
                         "max": max(lengths, default=0)},
        reflection_per_sample={name: run.markers.get(name, 0) / max(progress.kept, 1)
                               for name in ("wait", "hmm", "double_check")},
        description_rewrites=run.rewrites, elapsed_seconds=time.monotonic() - started,
        dataset_path=dataset_path, summary_path=config.out_dir / "summary.json",
    )  # fmt: skip
    report.summary_path.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    return report


def bridge(
    config: BridgeConfig,
    mllm: Backend,
    reasoner: Backend,
    on_update: Callable[[BridgeProgress], None] | None = None,
    total_hint: int | None = None,
) -> BridgeReport:
    return asyncio.run(bridge_async(config, mllm, reasoner, on_update, total_hint))
