"""Chat messages in OpenAI's format (images as base64 data URLs), and their conversion for local models."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

from vision_r1_plugins.core.images import ImageRef
from vision_r1_plugins.generation.types import Message

_DATA_URL = re.compile(r"data:image/[\w.+-]+;base64,(.*)", re.DOTALL)


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


def chat_messages(prompt: str, images: tuple[ImageRef, ...] = (), system_prompt: str | None = None) -> list[Message]:
    """A one-question conversation: an optional system turn, then the user's images and text."""
    messages: list[Message] = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages.append(user_message(prompt, images))
    return messages


def to_processor_chat(messages: list[Message]) -> tuple[list[dict[str, Any]], list[Any]]:
    """OpenAI messages as a transformers processor's chat (``{"type": "image"}`` parts) and the decoded images."""
    from PIL import Image

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
                if match is None:
                    raise ValueError("local models take images as base64 data URLs")
                images.append(Image.open(io.BytesIO(base64.b64decode(match.group(1)))).convert("RGB"))
                parts.append({"type": "image"})
            else:
                parts.append({"type": "text", "text": part.get("text", "")})
        chat.append({"role": message["role"], "content": parts})
    return chat, images
