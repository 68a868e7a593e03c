"""Synthetic multimodal sharegpt datasets with generated images, for tests, benchmarks and the demo."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.dataset_info import register_datasets

SHAREGPT_ENTRY = {
    "formatting": "sharegpt",
    "columns": {"messages": "messages", "images": "images"},
    "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"},
}
COLORS = ((220, 40, 40), (40, 160, 60), (40, 80, 220), (230, 180, 30))


def write_images(
    image_dir: Path, count: int, seed: int = 0, size: tuple[int, int] = (100, 80), image_format: str = "png"
) -> list[str]:
    """``count`` small images (a coloured square on white, varied sizes; ``png`` or ``jpg``); returns names
    relative to image_dir."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image_dir.mkdir(parents=True, exist_ok=True)
    names = []
    for index in range(count):
        width, height = size[0] + rng.randint(0, 60), size[1] + rng.randint(0, 60)
        image = Image.new("RGB", (width, height), "white")
        ImageDraw.Draw(image).rectangle((10, 10, width // 2, height // 2), fill=COLORS[index % len(COLORS)])
        name = f"img_{index:05d}.{image_format}"
        image.save(image_dir / name)
        names.append(name)
    return names


def sharegpt_row(image: str, index: int, thinking_words: int = 40) -> dict[str, Any]:
    color = ("red", "green", "blue", "yellow")[index % 4]
    thinking = " ".join(["The square in the image is", color, "so"] * max(1, thinking_words // 6))
    return {
        "messages": [
            {"role": "user", "content": f"<image>What color is the square? (question {index})"},
            {
                "role": "assistant",
                "content": f"<think>\n{thinking}\n</think>\n<answer> Final Answer: {color} </answer>",
            },
        ],
        "images": [image],
    }


def write_sharegpt_dataset(
    dataset_dir: str | Path,
    name: str,
    rows: int,
    seed: int = 0,
    thinking_words: int = 40,
    images: int | None = None,
    image_size: tuple[int, int] = (100, 80),
    image_format: str = "png",
) -> Path:
    """A registered dataset ``name`` in ``dataset_dir``: ``rows`` single-image conversations over ``images``
    distinct images (default one per row) under ``dataset_dir/images``. Returns the data file."""
    root = Path(dataset_dir)
    names = write_images(root / "images", images or rows, seed=seed, size=image_size, image_format=image_format)
    data = [sharegpt_row(f"images/{names[index % len(names)]}", index, thinking_words) for index in range(rows)]
    path = root / f"{name}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    register_datasets(root, {name: {"file_name": path.name, **SHAREGPT_ENTRY}}, force=True)
    return path


def png_with_damaged_data(png: bytes) -> bytes:
    """``png`` with bytes zeroed inside its first IDAT chunk and that chunk's CRC recomputed: Pillow's ``verify()``
    passes it, decoding fails ("broken data stream")."""
    import struct
    import zlib

    start = png.index(b"IDAT")
    length = struct.unpack(">I", png[start - 4 : start])[0]
    data = bytearray(png[start + 4 : start + 4 + length])
    data[10:30] = bytes(20)
    crc = struct.pack(">I", zlib.crc32(b"IDAT" + bytes(data)))
    return png[: start + 4] + bytes(data) + crc + png[start + 8 + length :]
