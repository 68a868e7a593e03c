"""What every backend takes and returns: OpenAI-format messages in, a :class:`ChatResult` out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
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
    def text(self) -> str:
        """The whole response, a separate reasoning field inlined as ``<think>..</think>``."""
        return join_thinking(self.reasoning, self.content) if self.reasoning else self.content


@dataclass(frozen=True)
class ChatDelta:
    """A piece of a streamed response: reasoning text, answer text, or both."""

    reasoning: str = ""
    content: str = ""


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
    ) -> ChatResult:
        """One chat completion. ``priority``: lower first when requests queue; ``tag`` names the request's purpose
        (a bridge stage), sent to servers as the ``X-Vision-R1-Stage`` header for their logs."""
        ...

    def stream(self, messages: list[Message]) -> AsyncIterator[ChatDelta]: ...

    async def aclose(self) -> None: ...


class InProcessBackend:
    """A backend generating in this process: one blocking ``_generate`` at a time, run in a worker thread so the
    event loop (and a live progress display) keeps going."""

    model: str
    sampling: Sampling

    def _generate(self, messages: list[Message]) -> ChatResult:
        raise NotImplementedError

    async def complete(
        self,
        messages: list[Message],
        *,
        on_retry: Callable[[], None] | None = None,
        priority: int = 0,
        tag: str | None = None,
    ) -> ChatResult:
        return await asyncio.to_thread(self._generate, messages)
