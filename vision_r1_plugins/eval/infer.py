"""``vision-r1 infer``: one question about one or more images, with the thinking streamed as it is generated.

The paper's sampling is the default (temperature 0.6, top_p 0.95, 4096 new tokens). Three backends: a local
transformers model (streamed with ``TextIteratorStreamer``), an OpenAI-compatible server such as ``vllm serve``
(streamed over server-sent events), and vLLM in-process (``--backend vllm``, not streamed).
"""

from __future__ import annotations

import json
import os
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vision_r1_plugins.bridge.backends import user_message
from vision_r1_plugins.bridge.inputs import ImageRef, image_ref


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.6
    top_p: float = 0.95
    max_tokens: int = 4096


def load_images(paths: list[str]) -> tuple[ImageRef, ...]:
    refs = []
    for path in paths:
        ref = image_ref(path, Path.cwd())
        if isinstance(ref, str):
            raise ValueError(f"image {path}: {ref.replace(':', ' ', 1)}")
        refs.append(ref)
    return tuple(refs)


def stream_transformers(
    model_path: str, images: tuple[ImageRef, ...], prompt: str, sampling: Sampling
) -> Iterator[str]:
    import io

    import torch
    from PIL import Image
    from transformers import AutoModelForImageTextToText, AutoProcessor, TextIteratorStreamer

    processor = AutoProcessor.from_pretrained(model_path)
    model = AutoModelForImageTextToText.from_pretrained(model_path, torch_dtype="auto").eval()
    content = [{"type": "image"} for _ in images] + [{"type": "text", "text": prompt}]
    text = processor.apply_chat_template([{"role": "user", "content": content}], tokenize=False,
                                         add_generation_prompt=True)  # fmt: skip
    pictures = [Image.open(io.BytesIO(image.read())).convert("RGB") for image in images] or None
    inputs = processor(text=[text], images=pictures, return_tensors="pt").to(model.device)
    streamer = TextIteratorStreamer(processor.tokenizer, skip_prompt=True, skip_special_tokens=True)
    arguments = {**inputs, "streamer": streamer, "max_new_tokens": sampling.max_tokens,
                 "do_sample": sampling.temperature > 0, "temperature": sampling.temperature or None,
                 "top_p": sampling.top_p}  # fmt: skip
    worker = threading.Thread(target=lambda: torch.no_grad()(model.generate)(**arguments), daemon=True)
    worker.start()
    yield from streamer
    worker.join()


def stream_openai(base_url: str, model: str, images: tuple[ImageRef, ...], prompt: str, sampling: Sampling,
                  api_key: str | None = None, timeout: float = 600.0) -> Iterator[str]:  # fmt: skip
    """Chat completion with ``stream: true``; reasoning deltas (vLLM's reasoning parser) come wrapped in <think>."""
    body = {"model": model, "messages": [user_message(prompt, images)], "stream": True, "top_p": sampling.top_p,
            "temperature": sampling.temperature, "max_tokens": sampling.max_tokens}  # fmt: skip
    request = urllib.request.Request(
        base_url.rstrip("/") + "/chat/completions", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json",
                 "Authorization": f"Bearer {api_key or os.environ.get('OPENAI_API_KEY') or 'EMPTY'}"},
    )  # fmt: skip
    thinking = False
    with urllib.request.urlopen(request, timeout=timeout) as response:
        for raw in response:
            line = raw.decode("utf-8").strip()
            if not line.startswith("data:"):
                continue
            payload = line[len("data:") :].strip()
            if payload == "[DONE]":
                break
            delta = (json.loads(payload).get("choices") or [{}])[0].get("delta") or {}
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if reasoning:
                if not thinking:
                    thinking = True
                    yield "<think>\n"
                yield reasoning
            if delta.get("content"):
                if thinking:
                    thinking = False
                    yield "\n</think>\n"
                yield delta["content"]
    if thinking:
        yield "\n</think>\n"


def generate_vllm(model: str, images: tuple[ImageRef, ...], prompt: str, sampling: Sampling) -> str:
    try:
        from vllm import LLM, SamplingParams
    except ImportError as error:
        raise RuntimeError("--backend vllm needs vLLM installed on a GPU machine (pip install vllm); "
                           "or serve the model with `vllm serve` and use --backend openai") from error  # fmt: skip
    llm = LLM(model=model, limit_mm_per_prompt={"image": max(len(images), 1)})
    outputs = llm.chat(
        [user_message(prompt, images)],
        SamplingParams(temperature=sampling.temperature, top_p=sampling.top_p, max_tokens=sampling.max_tokens),
    )
    return outputs[0].outputs[0].text


def split_thinking(response: str) -> tuple[str, str | None]:
    """(the thinking, the final answer) of a response; the answer is None when none can be extracted."""
    from vision_r1_plugins.eval.scoring import extract_answer

    close = response.rfind("</think>")
    thinking = response[:close].replace("<think>", "", 1).strip() if close >= 0 else ""
    answer, _ = extract_answer(response)
    return thinking, answer
