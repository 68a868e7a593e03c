"""A local transformers model generating in-process (``AutoModelForImageTextToText`` + ``AutoProcessor``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

from vision_r1_plugins.generation.messages import to_processor_chat
from vision_r1_plugins.generation.types import (
    ChatDelta,
    ChatResult,
    InProcessBackend,
    Message,
    Sampling,
    request_seed,
)


class TransformersBackend(InProcessBackend):
    """One generation at a time in a worker thread: the model is not re-entrant, and on CPU parallel generation
    would only contend for the same cores."""

    def __init__(self, path: str, sampling: Sampling | None = None) -> None:
        self.model = path
        self.sampling = sampling or Sampling()
        self._loaded: tuple[Any, Any] | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            from transformers import AutoModelForImageTextToText, AutoProcessor

            self._loaded = (
                AutoProcessor.from_pretrained(self.model),
                AutoModelForImageTextToText.from_pretrained(self.model, dtype="auto").eval(),
            )
        return self._loaded

    def _inputs(self, messages: list[Message]) -> tuple[Any, Any, dict[str, Any]]:
        processor, model = self._load()
        chat, images = to_processor_chat(messages)
        prompt = processor.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        inputs = processor(text=[prompt], images=images or None, return_tensors="pt").to(model.device)
        sampling = self.sampling
        arguments = {
            "max_new_tokens": sampling.max_tokens,
            "do_sample": sampling.temperature > 0,
            "temperature": sampling.temperature or None,
            "top_p": sampling.top_p,
        }
        return processor, model, {**inputs, **arguments}

    def _generate(self, messages: list[Message], seed: int) -> ChatResult:
        import torch

        with self._lock:
            processor, model, arguments = self._inputs(messages)
            torch.manual_seed(seed)
            with torch.no_grad():
                output = model.generate(**arguments)
            new_tokens = output[0, arguments["input_ids"].shape[1] :]
            text = processor.tokenizer.decode(new_tokens, skip_special_tokens=True)
            finish = "length" if len(new_tokens) >= self.sampling.max_tokens else "stop"
            return ChatResult(content=text, finish_reason=finish, completion_tokens=len(new_tokens))

    async def stream(self, messages: list[Message]) -> AsyncIterator[ChatDelta]:
        """Text as it is generated (``TextIteratorStreamer``); a reasoning model's ``<think>`` stays inline."""
        import torch
        from transformers import TextIteratorStreamer

        processor, model, arguments = await asyncio.to_thread(self._inputs, messages)
        streamer = TextIteratorStreamer(processor.tokenizer, skip_prompt=True, skip_special_tokens=True)
        torch.manual_seed(request_seed(self.sampling.seed, None, messages))
        outputs: list[Any] = []
        worker = threading.Thread(
            target=lambda: outputs.append(torch.no_grad()(model.generate)(**arguments, streamer=streamer)),
            daemon=True,
        )
        worker.start()
        pieces = iter(streamer)
        while (piece := await asyncio.to_thread(next, pieces, None)) is not None:
            if piece:
                yield ChatDelta(content=piece)
        worker.join()
        generated = outputs[0].shape[1] - arguments["input_ids"].shape[1] if outputs else 0
        yield ChatDelta(finish_reason="length" if generated >= self.sampling.max_tokens else "stop")

    async def aclose(self) -> None:
        self._loaded = None
