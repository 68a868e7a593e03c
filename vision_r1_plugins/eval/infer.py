"""``vision-r1 infer``: one question about one or more images, the thinking streamed as it is generated.

Any registered backend streams through :meth:`Backend.stream`; a separate reasoning field (vLLM's reasoning
parser) is shown inline as ``<think>..</think>`` like a model that thinks inline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vision_r1_plugins.core.images import ImageRef
from vision_r1_plugins.core.sync import run_sync
from vision_r1_plugins.eval.extraction import extract
from vision_r1_plugins.eval.strict_protocol import choices_from_question
from vision_r1_plugins.generation import THINK_CLOSE, THINK_OPEN, Backend, chat_messages, split_thinking


@dataclass(frozen=True)
class InferResult:
    """One answered question: the whole response, its thinking, the extracted final answer (None when there is
    none) and whether it stopped at the token limit."""

    response: str
    thinking: str
    answer: str | None  # None when no final answer can be extracted
    truncated: bool = False  # the response stopped at the token limit


def split_answer(response: str, question: str = "") -> tuple[str, str | None]:
    """(the thinking, the final answer) of a response; the answer is None when none can be extracted. The
    answer is the one ``vision-r1 eval`` scores: the same extraction, with the options the question lists."""
    thinking, _ = split_thinking(response)
    return thinking, extract(response, choices_from_question(question), question).text


async def _stream(
    backend: Backend,
    prompt: str,
    images: tuple[ImageRef, ...],
    system_prompt: str | None,
    on_text: Callable[[str], None],
) -> tuple[str, str | None]:
    parts: list[str] = []
    finish: str | None = None

    def emit(text: str) -> None:
        parts.append(text)
        on_text(text)

    thinking = False
    try:
        await backend.probe()
        async for delta in backend.stream(chat_messages(prompt, images, system_prompt)):
            finish = delta.finish_reason or finish
            if delta.reasoning:
                if not thinking:
                    thinking = True
                    emit(f"{THINK_OPEN}\n")
                emit(delta.reasoning)
            if delta.content:
                if thinking:
                    thinking = False
                    emit(f"\n{THINK_CLOSE}\n")
                emit(delta.content)
        if thinking:
            emit(f"\n{THINK_CLOSE}\n")
    finally:
        await backend.aclose()
    return "".join(parts), finish


def infer(
    backend: Backend,
    prompt: str,
    images: tuple[ImageRef, ...] = (),
    *,
    system_prompt: str | None = None,
    on_text: Callable[[str], None] | None = None,
) -> InferResult:
    """Ask one question; ``on_text`` receives the response piece by piece as it streams.

    Callable from a running event loop (Jupyter); there ``on_text`` is called from a worker thread.

    >>> from vision_r1_plugins.generation import BackendConfig, make_backend
    >>> backend = make_backend(BackendConfig("openai", "my-model", "http://localhost:8000/v1"))  # doctest: +SKIP
    >>> infer(backend, "What is 12 + 30?", on_text=print).answer  # doctest: +SKIP
    '42'
    """
    return run_sync(infer_async(backend, prompt, images, system_prompt=system_prompt, on_text=on_text))


async def infer_async(
    backend: Backend,
    prompt: str,
    images: tuple[ImageRef, ...] = (),
    *,
    system_prompt: str | None = None,
    on_text: Callable[[str], None] | None = None,
) -> InferResult:
    """:func:`infer` for async code: ``result = await infer_async(backend, "What is 12 + 30?")``."""
    response, finish = await _stream(backend, prompt, images, system_prompt, on_text or (lambda text: None))
    thinking, answer = split_answer(response, prompt)
    return InferResult(response, thinking, answer, truncated=finish == "length")
