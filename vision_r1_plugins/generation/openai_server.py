"""Any OpenAI-compatible chat-completions server (``vllm serve``, SGLang, ``transformers serve``, hosted APIs),
one URL or several replicas (:mod:`vision_r1_plugins.generation.endpoints`).

The backend runs its own retry loop rather than an SDK's so that retries are counted for the progress display
and the policy is explicit: connection errors, timeouts, malformed bodies, unfinished responses (finish_reason
``abort``/``error``/``repetition``), 408, 429 and 5xx are retried with exponential backoff and full jitter (at
least the server's ``Retry-After``); any other 4xx fails at once, since repeating a bad request cannot help.
A connection reset before any answer is retried once for free: uvicorn closes a connection after a 5xx without
saying so, and the next request written to it meets the reset.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.generation.endpoints import Endpoint, EndpointPool, split_urls
from vision_r1_plugins.generation.retry import RETRYABLE_STATUS, RetryPolicy, parse_retry_after
from vision_r1_plugins.generation.types import (
    UNFINISHED_REASONS,
    ChatDelta,
    ChatResult,
    Message,
    RequestFailed,
    Sampling,
)

TAG_HEADER = "X-Vision-R1-Stage"


def bearer_headers(api_key: str | None) -> dict[str, str]:
    # Local servers (vllm serve) accept any key but some clients insist on one: "EMPTY" is vLLM's convention.
    return {"Authorization": f"Bearer {api_key or os.environ.get('OPENAI_API_KEY') or 'EMPTY'}"}


@dataclass
class _Failure:
    problem: str
    retryable: bool
    retry_after: float | None = None
    reset: bool = False  # the connection was reset before any answer


@dataclass
class OpenAIBackend:
    """``base_url``: one URL, several, or several comma-separated; ``concurrency`` is per server."""

    base_url: str | tuple[str, ...]
    model: str
    sampling: Sampling = field(default_factory=Sampling)
    api_key: str | None = None
    timeout: float = 600.0
    concurrency: int = 64
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    give_up_after: int = 10  # requests failed in a row (after their retries) that stop the run

    def __post_init__(self) -> None:
        self.urls = split_urls(self.base_url)
        self._headers = bearer_headers(self.api_key)
        self._session: Any = None  # an aiohttp session belongs to a running loop: created on first use
        self._rng = random.Random(self.sampling.seed)
        # Backends of one set of servers (the bridge's MLLM and reasoner on one server) share one pool.
        self.pool = EndpointPool(self.urls, self.concurrency, give_up_after=self.give_up_after)

    def _client(self) -> Any:
        # aiohttp rather than httpx: httpx's pool scans every connection on each request (encode/httpx#3215),
        # so at 64 connections its CPU per request, not the server, caps throughput; aiohttp's stays flat.
        import aiohttp

        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                connector=aiohttp.TCPConnector(
                    limit=max(self.concurrency, 1) * len(self.urls), limit_per_host=max(self.concurrency, 1)
                ),
            )
        return self._session

    def _body(self, messages: list[Message], stream: bool = False) -> dict[str, Any]:
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": self.sampling.max_tokens,
            "temperature": self.sampling.temperature,
            "top_p": self.sampling.top_p,
        }
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
        key: str | None = None,  # the server draws its own samples
    ) -> ChatResult:
        body = self._body(messages)
        headers = {TAG_HEADER: tag} if tag else None
        attempts, free_reset = 0, True
        while True:
            async with self.pool.use(priority) as endpoint:
                outcome = await self._attempt(endpoint, body, headers)
            if isinstance(outcome, ChatResult):
                return outcome
            if not outcome.retryable:
                raise RequestFailed(outcome.problem, retryable=False, attempts=attempts + 1)
            if outcome.reset and free_reset:  # resent at once, without spending an attempt
                free_reset = False
                if on_retry is not None:
                    on_retry()
                continue
            attempts += 1
            if attempts >= self.retry.max_attempts:
                problem = f"gave up after {attempts} attempts: {outcome.problem}"
                self.pool.request_failed(problem)
                raise RequestFailed(problem, True, attempts)
            if on_retry is not None:
                on_retry()
            await asyncio.sleep(self.retry.delay(attempts - 1, outcome.retry_after, self._rng))

    async def _attempt(
        self, endpoint: Endpoint, body: dict[str, Any], headers: dict[str, str] | None
    ) -> ChatResult | _Failure:
        import aiohttp

        url = endpoint.url
        try:
            async with self._client().post(f"{url}/chat/completions", json=body, headers=headers) as response:
                status, payload = response.status, await response.read()
                retry_after = parse_retry_after(response.headers.get("retry-after"))
        except TimeoutError:  # aiohttp's total timeout, and its ServerTimeoutError
            self.pool.transport_failed(endpoint)
            return _Failure(f"no answer from {url} within {self.timeout:g} s (--timeout)", True)
        except aiohttp.ClientError as error:
            reset = _is_reset(error)
            if not reset:
                self.pool.transport_failed(endpoint)
            return _Failure(f"{url}: {type(error).__name__}: {error}", True, reset=reset)
        if status == 200:
            try:
                result = parse_completion(payload)
            except MalformedCompletion as error:
                return _Failure(f"{url}: {error}", True)
            self.pool.answered(endpoint)
            if result.finish_reason in UNFINISHED_REASONS:
                return _Failure(f"{url} ended the response with finish_reason {result.finish_reason!r}", True)
            return result
        if status >= 500:
            self.pool.transport_failed(endpoint)
        else:
            self.pool.answered(endpoint)  # a 4xx or 429 comes from a live server
        problem = f"HTTP {status} from {url}: {error_text(payload)}"
        return _Failure(problem, status in RETRYABLE_STATUS, retry_after)

    async def stream(self, messages: list[Message]) -> AsyncIterator[ChatDelta]:
        """Server-sent events as they arrive: reasoning deltas (``reasoning_content``/``reasoning``), then
        content deltas, then an empty delta with the finish_reason. An error sent inside the stream, or an
        unfinished response, raises RequestFailed. Not retried: a stream that broke halfway cannot be resumed."""
        import aiohttp

        url = self.pool.pick().url
        finish: str | None = None
        try:
            body = self._body(messages, stream=True)
            async with self._client().post(f"{url}/chat/completions", json=body) as response:
                if response.status != 200:
                    payload = await response.read()
                    raise RequestFailed(
                        f"HTTP {response.status} from {url}: {error_text(payload)}",
                        retryable=response.status in RETRYABLE_STATUS,
                        attempts=1,
                    )
                async for raw in response.content:
                    line = raw.decode("utf-8").strip()
                    if not line.startswith("data:"):
                        continue
                    data = line[len("data:") :].strip()
                    if data == "[DONE]":
                        break
                    try:
                        chunk = json.loads(data)
                    except ValueError as error:
                        raise RequestFailed(f"malformed stream chunk from {url}: {data[:200]}", True, 1) from error
                    if isinstance(chunk, dict) and chunk.get("error"):  # vLLM sends errors inside the stream
                        raise RequestFailed(
                            f"{url} sent an error in the stream: {error_text(data.encode())}",
                            retryable=False,
                            attempts=1,
                        )
                    choices = chunk.get("choices") if isinstance(chunk, dict) else None
                    if not choices:  # the final usage chunk has none
                        continue
                    finish = choices[0].get("finish_reason") or finish
                    delta = choices[0].get("delta") or {}
                    # vLLM streams `reasoning` and a deprecated copy in `reasoning_content`: read one, never both.
                    reasoning = delta.get("reasoning") or delta.get("reasoning_content") or ""
                    content = delta.get("content") or ""
                    if reasoning or content:
                        yield ChatDelta(reasoning=reasoning, content=content)
        except TimeoutError as error:
            raise RequestFailed(f"no answer from {url} within {self.timeout:g} s (--timeout)", True, 1) from error
        except aiohttp.ClientError as error:
            raise RequestFailed(f"{url}: {type(error).__name__}: {error}", True, 1) from error
        if finish in UNFINISHED_REASONS:
            raise RequestFailed(f"{url} ended the response with finish_reason {finish!r}", True, 1)
        yield ChatDelta(finish_reason=finish)

    async def probe(self) -> None:
        """One look at each server before any input is spent: it answers, and it serves ``model``."""
        for endpoint in self.pool.endpoints:
            await self._probe(endpoint.url)

    async def _probe(self, url: str) -> None:
        import aiohttp

        short = aiohttp.ClientTimeout(total=min(self.timeout, 30.0))
        try:
            async with self._client().get(f"{url}/models", timeout=short) as response:
                status, payload = response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            reason = "no answer within 30 s" if isinstance(error, TimeoutError) else _unreachable(error)
            raise UsageError(
                f"cannot reach {url} ({reason}): is the server up, and is --base-url its address?"
            ) from error
        if status in (401, 403):
            raise UsageError(
                f"{url} refused the API key (HTTP {status}): put the key in the variable --api-key-env names"
            )
        if status == 404 and not url.endswith("/v1"):
            raise UsageError(
                f"{url}/models answers 404: an OpenAI-compatible base URL usually ends in /v1 (try {url}/v1)"
            )
        served = served_models(payload) if status == 200 else None
        if served is not None:
            if self.model not in served:
                listed = ", ".join(served[:5]) + (", ..." if len(served) > 5 else "")
                raise UsageError(
                    f"{url} does not serve model {self.model!r} (it serves {listed}): name one of them as the model "
                    "(--model, --reasoner-model, --judge-model)"
                )
            return
        # Servers that cannot list their models (transformers serve answers 500): ask for one token instead. After
        # that 500 uvicorn drops the connection without saying so: a reset is tried once more on a new one.
        body = {"model": self.model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}
        for attempt in range(2):
            try:
                async with self._client().post(f"{url}/chat/completions", json=body) as response:
                    status, payload = response.status, await response.read()
                break
            except (aiohttp.ClientError, TimeoutError) as error:
                if attempt == 0 and _is_reset(error):
                    continue
                raise UsageError(
                    f"{url} did not answer a one-token request for {self.model!r}: {type(error).__name__}: {error}"
                ) from error
        if status != 200:
            raise UsageError(
                f"{url} answered a one-token request for {self.model!r} with HTTP {status}: {error_text(payload)}"
            )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


def _unreachable(error: BaseException) -> str:
    """Why a connection could not be made, in words (aiohttp's own message repeats the address twice)."""
    import aiohttp

    if isinstance(error, aiohttp.ClientConnectorError):
        cause = error.os_error
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if getattr(aiohttp, "ClientConnectorDNSError", None) and isinstance(error, aiohttp.ClientConnectorDNSError):
            return f"unknown host {error.host}"
        return cause.strerror or str(cause)
    return f"{type(error).__name__}: {error}"


def _is_reset(error: BaseException) -> bool:
    import aiohttp

    if isinstance(error, aiohttp.ServerDisconnectedError):
        return True
    # A refused connection is a ClientOSError too, but not a reset: the server is not there.
    if isinstance(error, aiohttp.ClientConnectorError) or not isinstance(error, aiohttp.ClientOSError):
        return False
    return error.errno in (errno.ECONNRESET, errno.EPIPE, None)  # None: "Can not write request body"


def error_text(payload: bytes, limit: int = 300) -> str:
    """What an error body says: the OpenAI ``error.message`` when it has one, else the raw text; truncated."""
    text = payload.decode(errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error", data.get("detail"))
        message = error.get("message") if isinstance(error, dict) else error
        if isinstance(message, str) and message:
            text = message
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def served_models(payload: bytes) -> list[str] | None:
    """The model ids of a ``/models`` answer, or None when it is not one."""
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    models = data.get("data") if isinstance(data, dict) else None
    if not isinstance(models, list):
        return None
    return [str(model.get("id")) for model in models if isinstance(model, dict) and model.get("id") is not None]


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
    reasoning = message.get("reasoning") or message.get("reasoning_content")
    usage = data.get("usage") or {}
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return ChatResult(
        content=content,
        reasoning=reasoning,
        finish_reason=choice.get("finish_reason"),
        completion_tokens=tokens if isinstance(tokens, int) else None,
    )
