"""Modality bridging, end to end: ``vision-r1 bridge``.

For each (image(s), question, gold answer):
1. the MLLM writes a pseudo-CoT (caption + reasoning) from the image, the question and the gold as a hint;
2. the MLLM writes a detailed description from the image, the question and that pseudo-CoT;
3. the text-only reasoner reasons from the description and the question;
then the reasoning is rewritten to speak of the image, composed into ``<think>..</think><answer>..</answer>``,
and kept only if the project's reward accepts format and answer and the quality rules pass.

Samples stream through the stages independently (a sample enters stage 2 as soon as its stage 1 returns; no
global barrier), with a bounded number of requests in flight per endpoint and a bounded number of samples
active at once. Every finished request is committed to the SQLite result store (``requests.sqlite``) as it
returns, so a killed run resumes without repeating work; each sample's verdict is stored too, so a resume does not
judge again what it judged before. Nothing grows with the number of samples: results are looked up in the store,
never held, the kept/filtered/rejected rows are appended to their files as they happen, and the export streams
from ``kept.jsonl`` in input order. Every input row ends in exactly one of kept, filtered or rejected.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vision_r1_plugins.answers import stated_answer
from vision_r1_plugins.bridge.export import compose_response, export, image_names, kept_line, sharegpt_row
from vision_r1_plugins.bridge.filters import FilterConfig, rewrite_description_references, run_filters
from vision_r1_plugins.bridge.stages import STAGES, load_prompts, stage_names
from vision_r1_plugins.core.accounting import CountedRows, RowAccount, Verdict
from vision_r1_plugins.core.errors import RunError
from vision_r1_plugins.core.exclusion import OVERLAP_REASON, Excluder
from vision_r1_plugins.core.problems import Problem, ProblemColumns, Rejection, RejectReason, read_problems
from vision_r1_plugins.core.spill import Spill
from vision_r1_plugins.core.store import LegacyJsonl, ResultStore, StoreKey
from vision_r1_plugins.core.sync import run_sync
from vision_r1_plugins.generation import (
    MARKER_NAMES,
    Backend,
    ChatResult,
    EndpointPool,
    RequestFailed,
    ServersGone,
    image_parts,
    reflection_markers,
    sampling_key,
    split_thinking,
    user_message,
)
from vision_r1_plugins.reward import score


@dataclass
class StageCounter:
    done: int = 0
    cached: int = 0
    in_flight: int = 0
    retried: int = 0
    failed: int = 0


@dataclass
class BridgeProgress(CountedRows):
    """Live counts handed to ``on_update``: samples read, kept, filtered and rejected by reason, and per stage the
    requests done, served from the store (``cached``), in flight, retried and failed."""

    total_hint: int | None = None
    rows: RowAccount = field(default_factory=RowAccount)  # samples read, kept, filtered and rejected by reason
    stages: dict[str, StageCounter] = field(default_factory=lambda: {stage: StageCounter() for stage in stage_names()})

    @property
    def read(self) -> int:
        return self.rows.input

    @property
    def finished(self) -> int:
        return self.kept + self.filtered_total + self.rejected_total


@dataclass(frozen=True)
class BridgeConfig:
    """What :func:`bridge` reads and where it writes.

    ``input``: problems as JSONL, JSON or parquet (image(s), question, gold answer; ``columns`` names them);
    ``out_dir``: the run folder (``requests.sqlite`` store, ``kept/filtered/rejects.jsonl``, the exported dataset
    and ``summary.json``); ``resume``: reuse the finished requests in ``out_dir`` (an older version's
    ``requests.jsonl`` store there is imported once); ``filters``: the quality rules; ``max_active_samples``:
    samples in flight at once (bounds memory); ``prompts_dir``: your own stage prompts; ``parquet``: also write the
    dataset as parquet; ``exclude``: benchmark rows to keep out of the data (see
    :func:`vision_r1_plugins.overlap.load_index`): a problem that overlaps one is filtered as
    ``benchmark_overlap`` before any request is sent.

    >>> config = BridgeConfig(Path("data/samples/problems/problems.jsonl"), Path("out/bridge"), resume=True)
    """

    input: Path
    out_dir: Path
    columns: ProblemColumns = field(default_factory=ProblemColumns)
    resume: bool = False
    filters: FilterConfig = field(default_factory=FilterConfig)
    max_active_samples: int = 256
    prompts_dir: Path | None = None
    parquet: bool = False
    exclude: Excluder | None = None


STORE_FILE = "requests.sqlite"
LEGACY_STORE_FILE = "requests.jsonl"  # the store of versions before 0.2: imported on the first --resume
# Part of every stored verdict's key: bump it when the judging changes in a way the package version does not show.
_VERDICT_RULES = "1"


@dataclass
class BridgeReport(CountedRows):
    """What :func:`bridge` did: every input sample is kept, filtered (a quality rule or a wrong answer) or rejected
    (an unusable input row), counted by reason; request counts per stage; reasoning lengths; where the dataset is.

    >>> report.headline()  # doctest: +SKIP
    '30 of 36 samples kept; 6 filtered (out/bridge/filtered.jsonl)'
    """

    rows: RowAccount  # input, kept, filtered (the quality rules) and rejected (unusable rows, failed requests)
    requests: dict[str, dict[str, int]]
    reasoning_chars: dict[str, float]
    reflection_per_sample: dict[str, float]
    description_rewrites: int
    elapsed_seconds: float
    dataset_path: Path
    summary_path: Path
    imported_results: int = 0  # results imported from an older version's requests.jsonl on this run

    @property
    def examples(self) -> list[str]:
        """The first rejected and filtered samples' reasons, in the order they happened."""
        return [f"{example.reason}: {example.detail[:200]}" for example in self.rows.examples[:3]]

    def headline(self) -> str:
        """The summary's first line: what came out, and where the samples that did not are."""
        out = self.summary_path.parent
        line = f"{self.kept} of {self.input} samples kept"
        if self.filtered:
            line += f"; {self.filtered_total} filtered ({out / 'filtered.jsonl'})"
        if self.rejected:
            line += f"; {self.rejected_total} rejected ({out / 'rejects.jsonl'})"
        return line

    def first_problems(self) -> str:
        counts = ", ".join(
            f"{reason} {count}" for reason, count in Counter({**self.filtered, **self.rejected}).most_common(3)
        )
        return counts + (f" (first: {self.examples[0]})" if self.examples else "")

    def to_dict(self) -> dict[str, Any]:
        data = {**self.rows.to_dict(), **{name: value for name, value in self.__dict__.items() if name != "rows"}}
        data["dataset_path"], data["summary_path"] = str(self.dataset_path), str(self.summary_path)
        data["examples"] = self.examples
        return data


def check_outcome(report: BridgeReport, strict: bool = False) -> None:
    """Raise :class:`RunError` when no sample was kept, or (``strict``) when any sample was rejected (filtered
    samples never fail a run: the filters are what the user asked for): the shared rule,
    :meth:`RowAccount.outcome`, in this command's words."""
    out = report.summary_path.parent
    report.rows.outcome(
        strict,
        source="the input",
        noun="sample",
        messages={
            Verdict.EMPTY: "the input holds no samples: nothing to bridge",
            Verdict.NOTHING_KEPT: "no sample was kept out of {input}: {problems}; see {filtered_file} and {rejects}",
            Verdict.STRICT_REJECTED: "--strict: {rejected} samples rejected; see {rejects}",
        },
        problems=report.first_problems(),
        filtered_file=out / "filtered.jsonl",
        rejects=out / "rejects.jsonl",
    )


class _StageFailed(Exception):
    def __init__(self, stage: str, sample_id: str, error: RequestFailed) -> None:
        super().__init__(f"stage {stage}, sample {sample_id}: {error}")
        self.stage = stage


def split_reasoning(result: ChatResult) -> tuple[str, str]:
    """(reasoning, answer text) from a reasoning model: a separate reasoning field, or ``<think>`` inline."""
    if result.reasoning:
        return result.reasoning.strip(), result.content.strip()
    return split_thinking(result.content)


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
        self.backends = {stage.name: mllm if stage.role == "mllm" else reasoner for stage in STAGES.values()}
        # Later stages first: samples under way finish before new ones start.
        self.priorities = {name: len(STAGES) - index for index, name in enumerate(STAGES)}
        # One pool per set of servers: when every stage goes to the same server(s), they share its concurrency.
        pools: dict[tuple[str, ...], EndpointPool] = {}
        for backend in (mllm, reasoner):
            pool = getattr(backend, "pool", None)
            if isinstance(pool, EndpointPool):
                backend.pool = pools.setdefault(pool.urls, pool)  # type: ignore[attr-defined]
        self.sampling_keys = {stage: sampling_key(backend.sampling) for stage, backend in self.backends.items()}
        self.stopped: ServersGone | None = None
        self.crashed: list[BaseException] = []  # a bug in a sample's task: raised once the tasks under way finish
        self.prompts = load_prompts(config.prompts_dir)
        self.progress = progress
        self.on_update = on_update or (lambda progress: None)
        out = config.out_dir
        out.mkdir(parents=True, exist_ok=True)
        (out / "images").mkdir(exist_ok=True)
        legacy = LegacyJsonl(out / LEGACY_STORE_FILE, _legacy_key)
        self.store = ResultStore(out / STORE_FILE, resume=config.resume, legacy=legacy)
        # Outcome files are rebuilt on every run from the store, so a resumed run writes each sample once.
        self.kept = (out / "kept.jsonl").open("w", encoding="utf-8")
        self.filtered_out = (out / "filtered.jsonl").open("w", encoding="utf-8")
        self.rejects = (out / "rejects.jsonl").open("w", encoding="utf-8")
        self.reasoning_lengths = Spill()  # on disk: the median needs them all
        self.reasoning_sum = self.reasoning_max = 0
        self.markers: Counter[str] = Counter()
        self.rewrites = 0
        self.filters_key = json.dumps(config.filters.__dict__, sort_keys=True)
        # The part of each stage's store key that is the same for every sample: prompt version, model, sampling.
        self.stage_keys = {
            stage: (self.prompts[stage].version, backend.model, self.sampling_keys[stage])
            for stage, backend in self.backends.items()
        }

    # ----------------------------------------------------------------------------------------------------
    def _key(self, sample: Problem, stage: str) -> StoreKey:
        # Other sampling settings or token limits are other results: a resume after raising --max-tokens must
        # not reuse the truncated ones.
        return StoreKey(sample.id, stage, *self.stage_keys[stage])

    def _verdict_key(self, sample: Problem) -> str:
        """Everything a sample's verdict depends on: its question, gold and images, the requests that answered it
        (their keys: a stored result never changes), the quality rules, and the judging code's version."""
        parts = [_VERDICT_RULES, _package_version(), sample.question_with_choices(), sample.answer, self.filters_key]
        parts += [image.extension for image in sample.images]
        parts += [part for stage in STAGES for part in self._key(sample, stage)]
        # Unit separators between the parts: no two different lists of parts join into the same text.
        return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()

    async def _stage(self, sample: Problem, stage: str, text: str, images: list[dict[str, Any]]) -> ChatResult:
        backend = self.backends[stage]
        key = self._key(sample, stage)
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
            result = await backend.complete(messages, on_retry=retried, priority=self.priorities[stage], tag=stage)
        except RequestFailed as error:
            counter.failed += 1
            raise _StageFailed(stage, sample.id, error) from error
        finally:
            counter.in_flight -= 1
        self.store.put(
            key, {"content": result.content, "reasoning": result.reasoning, "finish_reason": result.finish_reason}
        )
        counter.done += 1
        self.on_update(self.progress)
        return result

    def _replay_stored(self, sample: Problem, verdict_key: str) -> bool:
        """Replay the verdict stored for ``sample`` when it was made from these very results; False when there is
        none (the sample must go through the stages)."""
        known = self.store.outcome(sample.id, verdict_key)
        if known is None:
            return False
        for stage in list(STAGES)[: known.get("stages", len(STAGES))]:
            self.progress.stages[stage].cached += 1
        self._replay(sample, known)
        return True

    async def _process(self, sample: Problem, verdict_key: str) -> None:
        images = image_parts(sample.images)  # every stage that sends the images sends the same: encode them once
        replies: dict[str, ChatResult] = {}
        last = list(STAGES)[-1]
        try:
            for stage in STAGES.values():
                text = self.prompts[stage.name].render(**stage.values(sample, replies))
                reply = await self._stage(sample, stage.name, text, images if stage.with_images else [])
                replies[stage.name] = reply
                if reply.truncated and stage.name != last:  # a cut-off caption or description misleads the rest
                    detail = f"the {stage.name} reply hit its token limit (--max-tokens)"
                    self._filter(sample, "truncated", detail)
                    stages = list(STAGES).index(stage.name) + 1
                    outcome = {"kind": "filtered", "reason": "truncated", "detail": detail, "stages": stages}
                    self.store.put_outcome(sample.id, verdict_key, outcome)
                    return
        except _StageFailed as failure:  # not stored: a resume asks again
            self._reject(Rejection(sample.index, sample.id, f"request_failed:{failure.stage}", str(failure)))
            return
        except ServersGone as gone:
            self.stopped = self.stopped or gone
            return
        outcome = self._judge(sample, sample.question_with_choices(), replies[last])
        self.store.put_outcome(sample.id, verdict_key, outcome)

    def _replay(self, sample: Problem, outcome: dict[str, Any]) -> None:
        if outcome["kind"] == "kept":
            self._keep(sample, outcome["row"])
            self.rewrites += outcome["rewrites"]
            length = outcome["reasoning_chars"]
            self.reasoning_lengths.add(length, 0, 0)
            self.reasoning_sum += length
            self.reasoning_max = max(self.reasoning_max, length)
            self.markers.update(outcome["markers"])
            self.on_update(self.progress)
        else:
            self._filter(sample, outcome["reason"], outcome["detail"], response=outcome.get("response"))

    def _judge(self, sample: Problem, question: str, reasoned: ChatResult) -> dict[str, Any]:
        """Keep or filter ``sample`` on its reasoning reply; returns the verdict, as stored for a resume."""
        reasoning, answer_text = split_reasoning(reasoned)
        reasoning, rewrites = rewrite_description_references(reasoning)
        answer = stated_answer(answer_text)
        response = compose_response(reasoning, answer)
        verdict = None
        if reasoned.truncated:
            verdict = ("truncated", "the reasoning reply hit its token limit (--reasoner-max-tokens)")
        elif not reasoning:
            verdict = ("no_reasoning", "the reasoner returned no reasoning")
        elif not answer:
            verdict = ("no_answer", "no \\boxed{} or 'Final Answer:' in the reply")
        else:
            extra = {"choices": list(sample.choices)} if sample.choices else None
            result = score(response, sample.answer, extra)
            if not result["format_ok"]:
                verdict = ("format", result["reason"])
            elif not result["answer_ok"]:
                mismatch = f"{result['reason']}: predicted {result['pred']!r}, gold {sample.answer!r}"
                verdict = ("answer_mismatch", mismatch)
            else:
                quality = run_filters(reasoning, answer_text, question, self.config.filters)
                if not quality.ok:
                    verdict = (quality.reason, quality.detail)
        if verdict is not None:
            self._filter(sample, *verdict, response=response)
            return {"kind": "filtered", "reason": verdict[0], "detail": verdict[1], "response": response}
        markers = reflection_markers(reasoning)
        outcome = {
            "kind": "kept",
            # The dataset row as JSON text: a replay writes it as it is, without building and encoding it again.
            "row": json.dumps(sharegpt_row(sample, response, image_names(sample)), ensure_ascii=False),
            "rewrites": rewrites,
            "reasoning_chars": len(reasoning),
            "markers": dict(markers),
        }
        self._replay(sample, outcome)
        return outcome

    def _filter(self, sample: Problem, reason: str, detail: str, response: str | None = None) -> None:
        self.progress.rows.filter(reason, f"row {sample.index} ({sample.id})", detail)
        record = {"index": sample.index, "id": sample.id, "reason": reason, "detail": detail, "response": response}
        self.filtered_out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.on_update(self.progress)

    def _keep(self, sample: Problem, row: str) -> None:
        """Copy the sample's images into the output folder and append its dataset ``row`` (JSON text) to
        ``kept.jsonl``, in the layout :func:`~vision_r1_plugins.bridge.export.export` reads."""
        for name, image in zip(image_names(sample), sample.images, strict=True):
            target = self.config.out_dir / name
            if not target.exists():
                target.write_bytes(image.read())
        self.kept.write(kept_line(sample.index, sample.id, row))
        self.progress.rows.keep()

    def _reject(self, rejected: Rejection) -> None:
        reason = str(rejected.reason)
        bucket, _, stage = reason.partition(":")  # request_failed:STAGE counts under request_failed
        detail = f"{stage}: {rejected.detail}" if stage else rejected.detail
        self.progress.rows.reject(bucket, f"row {rejected.index} ({rejected.id})", detail)
        record = {"index": rejected.index, "id": rejected.id, "reason": reason, "detail": rejected.detail}
        self.rejects.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self.on_update(self.progress)

    # ----------------------------------------------------------------------------------------------------
    async def run(self) -> None:
        active = asyncio.Semaphore(self.config.max_active_samples)
        tasks: set[asyncio.Task[None]] = set()

        def finished(done: asyncio.Task[None]) -> None:
            tasks.discard(done)
            active.release()
            if not done.cancelled() and done.exception() is not None:
                self.crashed.append(done.exception())  # type: ignore[arg-type]

        rows = read_problems(self.config.input, self.config.columns)
        # Reading verifies images (file I/O, decoding): off the event loop, a few rows at a time, the next batch
        # read while this one is dispatched.
        reading = asyncio.ensure_future(asyncio.to_thread(_take, rows, 32))
        while self.stopped is None and not self.crashed:
            batch = await reading
            if not batch:
                break
            reading = asyncio.ensure_future(asyncio.to_thread(_take, rows, 32))
            for item in batch:
                self.progress.rows.add_input()
                if isinstance(item, Rejection):
                    self._reject(item)
                    continue
                if not self.store.first_time(item.id):
                    duplicate = Rejection(item.index, item.id, RejectReason.DUPLICATE_ID, "an earlier row has this id")
                    self._reject(duplicate)
                    continue
                match = self.config.exclude.match_problem(item) if self.config.exclude is not None else None
                if match is not None:
                    self._filter(item, OVERLAP_REASON, match.describe())
                    continue
                verdict_key = self._verdict_key(item)
                if self._replay_stored(item, verdict_key):  # judged on an earlier run: no task, no request
                    continue
                await active.acquire()
                if self.stopped is not None:
                    break
                task = asyncio.create_task(self._process(item, verdict_key))
                tasks.add(task)
                task.add_done_callback(finished)
        await asyncio.gather(*tasks)
        if not reading.done():  # stopped early: let the read under way finish before the store closes
            await asyncio.gather(reading, return_exceptions=True)
        if self.crashed:
            raise self.crashed[0]

    def close(self) -> None:
        for handle in (self.kept, self.filtered_out, self.rejects):
            handle.close()
        self.store.close()
        count = self.reasoning_lengths.count
        self.reasoning_chars = {
            "mean": self.reasoning_sum / count if count else 0.0,
            "median": self.reasoning_lengths.median(),
            "max": self.reasoning_max,
        }
        self.reasoning_lengths.close()


def _legacy_key(parts: list[Any]) -> StoreKey:
    # requests.jsonl keys were [sample, stage, prompt version, model, sampling key], as StoreKey is now.
    if len(parts) != len(StoreKey._fields) or not all(isinstance(part, str) for part in parts):
        raise ValueError(f"expected {len(StoreKey._fields)} strings, got {parts!r}")
    return StoreKey(*parts)


def _package_version() -> str:
    import vision_r1_plugins

    return vision_r1_plugins.__version__


def _take(rows: Iterator[Any], count: int) -> list[Any]:
    batch = []
    for item in rows:
        batch.append(item)
        if len(batch) == count:
            break
    return batch


async def bridge_async(
    config: BridgeConfig,
    mllm: Backend,
    reasoner: Backend,
    on_update: Callable[[BridgeProgress], None] | None = None,
    total_hint: int | None = None,
) -> BridgeReport:
    """:func:`bridge` for async code (no worker thread): ``report = await bridge_async(config, mllm, reasoner)``."""
    started = time.monotonic()
    progress = BridgeProgress(total_hint=total_hint)
    run = _Run(config, mllm, reasoner, progress, on_update)
    try:
        for backend in {id(b): b for b in (mllm, reasoner)}.values():  # before any input is spent
            await backend.probe()
        await run.run()
    finally:
        run.close()
        for backend in {id(b): b for b in (mllm, reasoner)}.values():
            with contextlib.suppress(Exception):
                await backend.aclose()
    if run.stopped is not None:
        raise RunError(
            f"stopped after {progress.finished} of {progress.read} samples read: {run.stopped}. Every finished "
            f"request is saved in {config.out_dir / STORE_FILE}: rerun with --resume to continue"
        )
    dataset_path, exported = export(config.out_dir, config.parquet)
    progress.rows.check_balance()  # the contract, checked
    if exported != progress.kept:
        raise RunError(
            f"sample accounting broke: read {progress.read}, finished {progress.finished}, "
            f"exported {exported}, kept {progress.kept}"
        )
    report = BridgeReport(
        rows=progress.rows,
        requests={stage: dict(counter.__dict__) for stage, counter in progress.stages.items()},
        reasoning_chars=run.reasoning_chars,
        reflection_per_sample={name: run.markers.get(name, 0) / max(progress.kept, 1) for name in MARKER_NAMES},
        description_rewrites=run.rewrites,
        elapsed_seconds=time.monotonic() - started,
        dataset_path=dataset_path,
        summary_path=config.out_dir / "summary.json",
        imported_results=run.store.imported,
    )
    report.summary_path.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    return report


def bridge(
    config: BridgeConfig,
    mllm: Backend,
    reasoner: Backend,
    on_update: Callable[[BridgeProgress], None] | None = None,
    total_hint: int | None = None,
) -> BridgeReport:
    """Bridge every problem of ``config.input`` through the MLLM and the reasoner; write and register the dataset.

    ``mllm`` and ``reasoner`` are backends (:func:`~vision_r1_plugins.generation.make_backend`; the same one twice
    for a model that does both). ``on_update`` receives the live :class:`BridgeProgress`; ``total_hint`` is the
    input's row count for a progress bar. Raises :class:`~vision_r1_plugins.core.errors.RunError` when the servers
    stop answering (rerun with ``resume=True``). Works inside a running event loop (Jupyter); there ``on_update``
    is called from a worker thread.

    >>> report = bridge(BridgeConfig(Path("problems.jsonl"), Path("out")), mllm, reasoner)  # doctest: +SKIP
    >>> report.kept, report.dataset_path  # doctest: +SKIP
    (30, PosixPath('out/vision_r1_bridged.json'))
    """
    return run_sync(bridge_async(config, mllm, reasoner, on_update, total_hint))
