"""What every backend takes and returns: OpenAI-format messages in, a :class:`ChatResult` out."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from vision_r1_plugins.core.errors import RunError, UsageError
from vision_r1_plugins.generation.thinking import join_thinking

Message = dict[str, Any]


@dataclass(frozen=True)
class Sampling:
    """The paper's sampling by default: temperature 0.6, top_p 0.95."""

    temperature: float = 0.6
    top_p: float = 0.95
    max_tokens: int = 4096
    seed: int = 0

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise UsageError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise UsageError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens <= 0:
            raise UsageError(f"max_tokens must be > 0, got {self.max_tokens}")


@dataclass(frozen=True)
class ChatResult:
    content: str
    reasoning: str | None = None  # reasoning_content from reasoning servers (DeepSeek-R1, vLLM's reasoning parser)
    finish_reason: str | None = None
    completion_tokens: int | None = None

    @property
    def truncated(self) -> bool:
        """The response stopped at the token limit: whatever it says was not finished."""
        return self.finish_reason == "length"

    @property
    def text(self) -> str:
        """The whole response, a separate reasoning field inlined as ``<think>..</think>``."""
        return join_thinking(self.reasoning, self.content) if self.reasoning else self.content


@dataclass(frozen=True)
class ChatDelta:
    """A piece of a streamed response: reasoning text, answer text, or both."""

    reasoning: str = ""
    content: str = ""
    finish_reason: str | None = None  # on the last piece only


# finish_reason values of a response that did not finish (vLLM: an aborted or failed request, a repetition
# detector): never an answer, never cached. "length" is a finished but truncated response.
UNFINISHED_REASONS = frozenset({"abort", "error", "repetition"})


def request_seed(seed: int, key: str | None, messages: list[Message] | None = None) -> int:
    """The random seed of one request of a local backend: derived from the run's seed and the request's key (a row
    id), or from its messages when it has none. Every row gets its own draws and a rerun gets the same ones; one
    seed for every row would give every row the same draws (at temperature > 0 the same "luck" everywhere)."""
    what = key if key is not None else json.dumps(messages, sort_keys=True, default=str)
    digest = hashlib.sha256(f"{seed}:{what}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & (2**63 - 1)


def sampling_key(sampling: Sampling) -> str:
    """Part of every cached result's key: other sampling settings or token limits are other results."""
    return hashlib.sha256(json.dumps(asdict(sampling), sort_keys=True).encode()).hexdigest()[:12]


def check_local_model(name: str) -> None:
    """A model named by a path must exist before any work starts; a hub name (``org/name``) is left to the
    loader."""
    path = Path(name).expanduser()
    looks_local = path.is_absolute() or name.startswith((".", "~")) or name.count("/") > 1
    if looks_local and not path.exists():
        raise UsageError(f"model path {name} does not exist: give a model folder or a hub name (org/name)")


class RequestFailed(RunError):
    def __init__(self, message: str, retryable: bool, attempts: int) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.attempts = attempts


class Backend(Protocol):
    model: str
    sampling: Sampling

    async def complete(
        self,
        messages: list[Message],
        *,
        on_retry: Callable[[], None] | None = None,
        priority: int = 0,
        tag: str | None = None,
        key: str | None = None,
    ) -> ChatResult:
        """One chat completion. ``priority``: lower first when requests queue; ``tag`` names the request's purpose
        (a bridge stage), sent to servers as the ``X-Vision-R1-Stage`` header for their logs; ``key`` names what the
        request answers (a row id): a local backend derives the request's random seed from it
        (:func:`request_seed`)."""
        ...

    def stream(self, messages: list[Message]) -> AsyncIterator[ChatDelta]: ...

    async def probe(self) -> None:
        """Check, before any input is spent, that the model can answer (the server is up and serves it, the
        local model exists); raise UsageError naming the fix."""
        ...

    async def aclose(self) -> None: ...


class InProcessBackend:
    """A backend generating in this process: one blocking ``_generate`` at a time, run in a worker thread so the
    event loop (and a live progress display) keeps going."""

    model: str
    sampling: Sampling

    def _generate(self, messages: list[Message], seed: int) -> ChatResult:
        raise NotImplementedError

    async def complete(
        self,
        messages: list[Message],
        *,
        on_retry: Callable[[], None] | None = None,
        priority: int = 0,
        tag: str | None = None,
        key: str | None = None,
    ) -> ChatResult:
        return await asyncio.to_thread(self._generate, messages, request_seed(self.sampling.seed, key, messages))

    async def probe(self) -> None:
        check_local_model(self.model)
