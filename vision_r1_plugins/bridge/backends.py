"""Model backends for the bridge: any OpenAI-compatible chat endpoint, or a local transformers model.

A backend turns a chat request (OpenAI message format, images as base64 data URLs) into a :class:`ChatResult`.
``OpenAIBackend`` runs its own retry loop rather than the SDK's so that retries are counted for the progress
display and the policy is explicit: connection errors, timeouts, malformed bodies, 408, 429 and 5xx are
retried with exponential backoff and full jitter (at least the server's ``Retry-After``); any other 4xx fails
at once, since repeating a bad request cannot help.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email.utils
import heapq
import itertools
import json
import os
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from vision_r1_plugins.bridge.inputs import ImageRef

Message = dict[str, Any]
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class PriorityLimiter:
    """At most ``limit`` holders; waiters with a lower ``priority`` go first, FIFO within a priority.

    The bridge gives later stages priority, so samples already under way finish before new ones start: the
    run's tail gets short and few half-done samples are held in memory.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held = 0
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @contextlib.asynccontextmanager
    async def slot(self, priority: int = 0) -> Any:
        if self._held < self.limit and not self._waiters:
            self._held += 1
        else:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiters, (priority, next(self._order), waiter))
            try:
                await waiter  # the releaser hands its slot over, so _held stays counted
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._release()
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiters:
            _, _, waiter = heapq.heappop(self._waiters)
            if not waiter.done():
                waiter.set_result(None)
                return
        self._held -= 1


@dataclass(frozen=True)
class ChatResult:
    content: str
    reasoning: str | None = None  # reasoning_content from reasoning servers (DeepSeek-R1, vLLM's reasoning parser)
    finish_reason: str | None = None
    completion_tokens: int | None = None


class RequestFailed(RuntimeError):
    def __init__(self, message: str, retryable: bool, attempts: int) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.attempts = attempts


class Backend(Protocol):
    model: str

    async def complete(
        self, messages: list[Message], on_retry: Callable[[], None] | None = None, priority: int = 0
    ) -> ChatResult: ...

    async def aclose(self) -> None: ...


def image_parts(images: tuple[ImageRef, ...]) -> list[dict[str, Any]]:
    """Images as OpenAI ``image_url`` parts with base64 data URLs (encode once, reuse for every stage)."""
    return [
        {
            "type": "image_url",
            "image_url": {"url": f"data:{image.mime};base64,{base64.b64encode(image.read()).decode()}"},
        }
        for image in images
    ]


def user_message(text: str, images: tuple[ImageRef, ...] | list[dict[str, Any]] = ()) -> Message:
    """One user turn in OpenAI format: images first, then the text. ``images`` may be already-encoded parts."""
    if not images:
        return {"role": "user", "content": text}
    parts = list(images) if isinstance(images, list) else image_parts(images)
    return {"role": "user", "content": [*parts, {"type": "text", "text": text}]}


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Full jitter: uniform in [0, base * 2^attempt], capped; never below the server's Retry-After."""
        backoff = rng.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))
        return max(backoff, min(retry_after, self.max_delay)) if retry_after is not None else backoff


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


@dataclass
class OpenAIBackend:
    base_url: str
    model: str
    api_key: str | None = None
    timeout: float = 600.0
    concurrency: int = 64
    max_tokens: int = 4096
    temperature: float = 0.6
    top_p: float = 0.95
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    seed: int = 0

    def __post_init__(self) -> None:
        self._headers = {"Authorization": f"Bearer {self.api_key or os.environ.get('OPENAI_API_KEY') or 'EMPTY'}"}
        self._session: Any = None  # an aiohttp session belongs to a running loop: created on first use
        self._rng = random.Random(self.seed)
        self.limiter: PriorityLimiter | None = None  # set by the pipeline, shared by backends of one endpoint

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

    async def complete(
        self, messages: list[Message], on_retry: Callable[[], None] | None = None, priority: int = 0
    ) -> ChatResult:
        import aiohttp

        body = {"model": self.model, "messages": messages, "max_tokens": self.max_tokens,
                "temperature": self.temperature, "top_p": self.top_p}  # fmt: skip
        for attempt in range(self.retry.max_attempts):
            retry_after = None
            try:
                slot = self.limiter.slot(priority) if self.limiter else contextlib.nullcontext()
                async with slot, self._client().post("chat/completions", json=body) as response:
                    status, payload = response.status, await response.read()
                    header = response.headers.get("retry-after")
                if status == 200:
                    return _parse_completion(payload)
                problem = f"HTTP {status}: {payload[:300].decode(errors='replace')}"
                if status not in RETRYABLE_STATUS:
                    raise RequestFailed(problem, retryable=False, attempts=attempt + 1)
                retry_after = parse_retry_after(header)
            except (aiohttp.ClientError, TimeoutError, _Malformed) as error:  # connection, timeout, dropped, bad body
                problem = f"{type(error).__name__}: {error}"
            if attempt + 1 == self.retry.max_attempts:
                raise RequestFailed(f"gave up after {attempt + 1} attempts: {problem}", True, attempt + 1)
            if on_retry is not None:
                on_retry()
            await asyncio.sleep(self.retry.delay(attempt, retry_after, self._rng))
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class _Malformed(ValueError):
    pass


def _parse_completion(payload: bytes) -> ChatResult:
    try:
        data = json.loads(payload)
        choice = data["choices"][0]
        message = choice["message"]
        content = message.get("content") or ""
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise _Malformed(f"malformed completion: {error}") from error
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    usage = data.get("usage") or {}
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return ChatResult(content=content, reasoning=reasoning, finish_reason=choice.get("finish_reason"),
                      completion_tokens=tokens if isinstance(tokens, int) else None)  # fmt: skip


_DATA_URL = re.compile(r"data:image/[\w.+-]+;base64,(.*)", re.DOTALL)


class TransformersBackend:
    """A local model generating in-process (``AutoModelForImageTextToText`` + ``AutoProcessor``).

    One generation at a time in a worker thread: the model is not re-entrant, and on CPU parallel generation
    would only contend for the same cores.
    """

    def __init__(
        self, path: str, max_new_tokens: int = 512, temperature: float = 0.6, top_p: float = 0.95, seed: int = 0
    ) -> None:
        self.model = path
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.seed = seed
        self._loaded: tuple[Any, Any] | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            from transformers import AutoModelForImageTextToText, AutoProcessor

            self._loaded = (
                AutoProcessor.from_pretrained(self.model),
                AutoModelForImageTextToText.from_pretrained(self.model).eval(),
            )
        return self._loaded

    def _generate(self, messages: list[Message]) -> ChatResult:
        import io

        import torch
        from PIL import Image

        with self._lock:
            processor, model = self._load()
            images, chat = [], []
            for message in messages:
                content = message["content"]
                if isinstance(content, str):
                    chat.append({"role": message["role"], "content": [{"type": "text", "text": content}]})
                    continue
                parts = []
                for part in content:
                    if part.get("type") == "image_url":
                        match = _DATA_URL.match(part["image_url"]["url"])
                        assert match, "the transformers backend takes images as data URLs"
                        images.append(Image.open(io.BytesIO(base64.b64decode(match.group(1)))).convert("RGB"))
                        parts.append({"type": "image"})
                    else:
                        parts.append({"type": "text", "text": part.get("text", "")})
                chat.append({"role": message["role"], "content": parts})
            prompt = processor.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
            inputs = processor(text=[prompt], images=images or None, return_tensors="pt")
            torch.manual_seed(self.seed)
            with torch.no_grad():
                output = model.generate(
                    **inputs,
                    max_new_tokens=self.max_new_tokens,
                    do_sample=self.temperature > 0,
                    temperature=self.temperature or None,
                    top_p=self.top_p,
                )
            new_tokens = output[0, inputs["input_ids"].shape[1] :]
            text = processor.tokenizer.decode(new_tokens, skip_special_tokens=True)
            finish = "length" if len(new_tokens) >= self.max_new_tokens else "stop"
            return ChatResult(content=text, finish_reason=finish, completion_tokens=len(new_tokens))

    async def complete(
        self, messages: list[Message], on_retry: Callable[[], None] | None = None, priority: int = 0
    ) -> ChatResult:
        return await asyncio.to_thread(self._generate, messages)

    async def aclose(self) -> None:
        self._loaded = None


def make_backend(
    kind: str, model: str, url: str | None = None, *, api_key_env: str = "OPENAI_API_KEY", concurrency: int = 64,
    timeout: float = 600.0, max_attempts: int = 6, max_tokens: int = 4096, temperature: float = 0.6,
    top_p: float = 0.95, retry_base_delay: float = 1.0,
) -> Backend:  # fmt: skip
    """``openai``: ``url`` is an OpenAI-compatible base URL (``http://host:8000/v1``) serving ``model``, the API
    key is read from the environment variable ``api_key_env``. ``transformers``: ``model`` is a local path."""
    if kind == "openai":
        if not url:
            raise ValueError(f"the openai backend needs a base URL for model {model!r}")
        return OpenAIBackend(url, model, api_key=os.environ.get(api_key_env), timeout=timeout, concurrency=concurrency,
                             max_tokens=max_tokens, temperature=temperature, top_p=top_p,
                             retry=RetryPolicy(max_attempts=max_attempts, base_delay=retry_base_delay))  # fmt: skip
    if kind == "transformers":
        return TransformersBackend(model, max_new_tokens=max_tokens, temperature=temperature, top_p=top_p)
    raise ValueError(f"unknown backend {kind!r}: use openai or transformers")
