"""vLLM in-process (``LLM.chat``), for GPU machines. Not streamed: ``LLM`` returns whole completions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.generation.types import ChatDelta, ChatResult, InProcessBackend, Message, Sampling


class VLLMBackend(InProcessBackend):
    def __init__(self, model: str, sampling: Sampling | None = None, max_images: int = 4) -> None:
        self.model = model
        self.sampling = sampling or Sampling()
        self.max_images = max_images
        self._llm: Any = None

    def _engine(self) -> Any:
        if self._llm is None:
            try:
                from vllm import LLM
            except ImportError as error:
                raise UsageError(
                    "--backend vllm needs vLLM installed on a GPU machine (pip install vllm); "
                    "or serve the model with `vllm serve` and use --backend openai"
                ) from error
            self._llm = LLM(model=self.model, limit_mm_per_prompt={"image": self.max_images})
        return self._llm

    def _generate(self, messages: list[Message], seed: int) -> ChatResult:
        engine = self._engine()  # first: it explains a missing vLLM
        from vllm import SamplingParams

        sampling = self.sampling
        params = SamplingParams(
            temperature=sampling.temperature, top_p=sampling.top_p, max_tokens=sampling.max_tokens, seed=seed
        )
        output = engine.chat(messages, params)[0].outputs[0]
        return ChatResult(
            content=output.text, finish_reason=output.finish_reason, completion_tokens=len(output.token_ids)
        )

    async def stream(self, messages: list[Message]) -> AsyncIterator[ChatDelta]:
        result = await self.complete(messages)
        yield ChatDelta(content=result.content, finish_reason=result.finish_reason)

    async def aclose(self) -> None:
        self._llm = None
