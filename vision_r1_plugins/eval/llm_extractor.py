"""An optional judge model that extracts answers the rules could not find (``--judge-url/--judge-model``).

Only rows whose response states no answer by the rules are sent. The judge is asked for the final answer in
the response, never whether it is right: the benchmark's own rule still decides. Answers are cached in the
SQLite store ``judge.sqlite`` keyed by (row, judge model, response), so a rerun or an interrupted run asks again
only for what it lacks (an older version's ``judge.jsonl`` cache is imported the first time).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.store import LegacyJsonl, ResultStore, StoreKey
from vision_r1_plugins.core.sync import run_sync
from vision_r1_plugins.eval.benchmark_file import EvalRow
from vision_r1_plugins.eval.extraction import extract
from vision_r1_plugins.generation import Backend, RequestFailed, ServersGone, chat_messages

JUDGE_FILE = "judge.sqlite"
LEGACY_JUDGE_FILE = "judge.jsonl"
NO_ANSWER = "NONE"
# The tail of a long response is where the answer is; the judge reads at most this much.
_RESPONSE_CHARS = 6000

PROMPT = """You read a model's response to a question and report the final answer it gives.

Question:
{question}
{options}
Response:
{response}

Reply with the final answer only, exactly as the response states it: an option letter for a multiple-choice
question, otherwise the value (with no units and no explanation). If the response gives no final answer or
gives more than one, reply {none}."""


@dataclass(frozen=True)
class JudgeConfig:
    """An OpenAI-compatible model that extracts answers the rules cannot find (it never judges correctness).

    >>> judge = JudgeConfig("http://localhost:8001/v1", "Qwen2.5-7B-Instruct")
    """

    base_url: str
    model: str
    api_key_env: str = "OPENAI_API_KEY"
    timeout: float = 120.0
    concurrency: int = 16


def judge_prompt(row: EvalRow, response: str) -> str:
    choices = row.item.choices or ()
    options = "".join(f"({chr(ord('A') + index)}) {option}\n" for index, option in enumerate(choices))
    return PROMPT.format(
        question=row.problem.question,
        options=f"Options:\n{options}" if options else "",
        response=response[-_RESPONSE_CHARS:],
        none=NO_ANSWER,
    )


def read_reply(reply: str) -> str | None:
    """The judge's answer: its reply, or what the rules find in it when it reasons first; None for NONE."""
    found = extract(reply).text if len(reply) > 40 or "<" in reply else reply
    text = (found or "").strip().strip(".")
    return None if not text or text.upper() == NO_ANSWER else text


def _key(row: EvalRow, model: str, response: str) -> StoreKey:
    # The response's digest takes the prompt version's place: another response is another question to the judge.
    return StoreKey(row.id, "judge", hashlib.sha256(response.encode()).hexdigest()[:16], model, "")


def _legacy_key(parts: list[Any]) -> StoreKey:
    # judge.jsonl keys are [row id, judge model, response digest].
    if len(parts) != 3 or not all(isinstance(part, str) for part in parts):
        raise ValueError(f"expected [row id, judge model, response digest], got {parts!r}")
    return StoreKey(parts[0], "judge", parts[2], parts[1], "")


def judge_answers(
    rows: list[tuple[EvalRow, str]],
    backend: Backend,
    config: JudgeConfig,
    out: Path,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, str | None], int]:
    """The judge's answer for each (row, response); None where it found none. Returns (answers, failures)."""
    store = ResultStore(out / JUDGE_FILE, resume=True, legacy=LegacyJsonl(out / LEGACY_JUDGE_FILE, _legacy_key))
    answers: dict[str, str | None] = {}
    failures = 0

    async def run() -> None:
        nonlocal failures
        limiter = asyncio.Semaphore(config.concurrency)

        async def one(row: EvalRow, response: str) -> None:
            nonlocal failures
            key = _key(row, config.model, response)
            cached = store.get(key)
            if cached is None:
                try:
                    async with limiter:
                        result = await backend.complete(chat_messages(judge_prompt(row, response), ()))
                except (RequestFailed, ServersGone):
                    failures += 1
                    answers[row.id] = None
                    if on_progress:
                        on_progress(1)
                    return
                cached = {"answer": result.text.strip()}
                store.put(key, cached)
            answers[row.id] = read_reply(str(cached["answer"]))
            if on_progress:
                on_progress(1)

        try:
            if rows:  # a judge that is not there is a usage mistake, found before the first row
                await backend.probe()
            await asyncio.gather(*(one(row, response) for row, response in rows))
        finally:
            await backend.aclose()

    try:
        run_sync(run())
    finally:
        store.close()
    return answers, failures
