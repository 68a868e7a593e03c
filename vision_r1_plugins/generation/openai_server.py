"""Any OpenAI-compatible chat-completions server (``vllm serve``, SGLang, ``transformers serve``, hosted APIs).

The backend runs its own retry loop rather than an SDK's so that retries are counted for the progress display
and the policy is explicit: connection errors, timeouts, malformed bodies, 408, 429 and 5xx are retried with
exponential backoff and full jitter (at least the server's ``Retry-After``); any other 4xx fails at once, since
repeating a bad request cannot help.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from vision_r1_plugins.generation.limiter import PriorityLimiter
from vision_r1_plugins.generation.retry import RETRYABLE_STATUS, RetryPolicy, parse_retry_after
from vision_r1_plugins.generation.types import ChatDelta, ChatResult, Message, RequestFailed, Sampling

TAG_HEADER = "X-Vision-R1-Stage"


def bearer_headers(api_key: str | None) -> dict[str, str]:
    # Local servers (vllm serve) accept any key but some clients insist on one: "EMPTY" is vLLM's convention.
    return {"Authorization": f"Bearer {api_key or os.environ.get('OPENAI_API_KEY') or 'EMPTY'}"}


@dataclass
class OpenAIBackend:
    base_url: str
    model: str
    sampling: Sampling = field(default_factory=Sampling)
    api_key: str | None = None
    timeout: float = 600.0
    concurrency: int = 64
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        self._headers = bearer_headers(self.api_key)
        self._session: Any = None  # an aiohttp session belongs to a running loop: created on first use
        self._rng = random.Random(self.sampling.seed)
        self.limiter: PriorityLimiter | None = None  # set by the caller, shared by backends of one endpoint

    def _client(self) -> Any:
        # aiohttp rather than httpx: httpx's pool scans every connection on each request (encode/httpx#3215),
        # so at 64 connections its CPU per request, not the server, caps throughput; aiohttp's stays flat.
        import aiohttp

        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                base_url=self.base_url.rstrip("/") + "/", headers=self._headers,
                connector=aiohttp.TCPConnector(limit=max(self.concurrency, 1)),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            )  # fmt: skip
        return self._session

    def _body(self, messages: list[Message], stream: bool = False) -> dict[str, Any]:
        body = {"model": self.model, "messages": messages, "max_tokens": self.sampling.max_tokens,
                "temperature": self.sampling.temperature, "top_p": self.sampling.top_p}  # fmt: skip
        if stream:
            body["stream"] = True
        return body

    async def complete(
        self,
        messages: list[Message],
        *,
        on_retry: Callable[[], None] | None = None,
        priority: int = 0,
        tag: str | None = None,
    ) -> ChatResult:
        import asyncio

        import aiohttp

        body = self._body(messages)
        headers = {TAG_HEADER: tag} if tag else None
        for attempt in range(self.retry.max_attempts):
            retry_after = None
            try:
                slot = self.limiter.slot(priority) if self.limiter else contextlib.nullcontext()
                async with slot, self._client().post("chat/completions", json=body, headers=headers) as response:
                    status, payload = response.status, await response.read()
                    header = response.headers.get("retry-after")
                if status == 200:
                    return parse_completion(payload)
                problem = f"HTTP {status}: {payload[:300].decode(errors='replace')}"
                if status not in RETRYABLE_STATUS:
                    raise RequestFailed(problem, retryable=False, attempts=attempt + 1)
                retry_after = parse_retry_after(header)
            except (aiohttp.ClientError, TimeoutError, MalformedCompletion) as error:  # connection, timeout, body
                problem = f"{type(error).__name__}: {error}"
            if attempt + 1 == self.retry.max_attempts:
                raise RequestFailed(f"gave up after {attempt + 1} attempts: {problem}", True, attempt + 1)
            if on_retry is not None:
                on_retry()
            await asyncio.sleep(self.retry.delay(attempt, retry_after, self._rng))
        raise AssertionError("unreachable")

    async def stream(self, messages: list[Message]) -> AsyncIterator[ChatDelta]:
        """Server-sent events as they arrive: reasoning deltas (``reasoning_content``/``reasoning``), then
        content deltas. Not retried: a stream that broke halfway cannot be resumed."""
        import aiohttp

        try:
            async with self._client().post("chat/completions", json=self._body(messages, stream=True)) as response:
                if response.status != 200:
                    payload = await response.read()
                    raise RequestFailed(f"HTTP {response.status}: {payload[:300].decode(errors='replace')}",
                                        retryable=response.status in RETRYABLE_STATUS, attempts=1)  # fmt: skip
                async for raw in response.content:
                    line = raw.decode("utf-8").strip()
                    if not line.startswith("data:"):
                        continue
                    payload = line[len("data:") :].strip()
                    if payload == "[DONE]":
                        break
                    try:
                        choices = json.loads(payload).get("choices") or [{}]
                    except ValueError as error:
                        raise RequestFailed(f"malformed stream chunk: {payload[:200]}", True, 1) from error
                    delta = choices[0].get("delta") or {}
                    reasoning = delta.get("reasoning_content") or delta.get("reasoning") or ""
                    content = delta.get("content") or ""
                    if reasoning or content:
                        yield ChatDelta(reasoning=reasoning, content=content)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise RequestFailed(f"{type(error).__name__}: {error} ({self.base_url})", True, 1) from error

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class MalformedCompletion(ValueError):
    pass


def parse_completion(payload: bytes) -> ChatResult:
    try:
        data = json.loads(payload)
        choice = data["choices"][0]
        message = choice["message"]
        content = message.get("content") or ""
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise MalformedCompletion(f"malformed completion: {error}") from error
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    usage = data.get("usage") or {}
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return ChatResult(content=content, reasoning=reasoning, finish_reason=choice.get("finish_reason"),
                      completion_tokens=tokens if isinstance(tokens, int) else None)  # fmt: skip
