"""One image as LLaMA-Factory will read it: can it be opened and decoded, and how many tokens does it become.

LLaMA-Factory opens each image with Pillow (``mm_plugin._regularize_images``) and decodes it when it resizes it;
any error there aborts the whole preprocessing. Decoding every image to find the few broken ones costs more than
the rest of validation together, so the default check is the cheapest that catches what breaks in practice
(truncated files, measured in ``benchmarks/image_check_bench.py``), and a suspicious file is decoded to decide:

- JPEG: the file must end with its end-of-image marker (``FF D9``), which a truncated download lacks. A file that
  does not (trailing bytes after the marker are common) is decoded fully, and rejected only if that fails.
- PNG: Pillow's ``verify()`` reads every chunk and checks its CRC through ``IEND``. A file that fails is decoded
  fully, and rejected only if that fails too (Pillow decodes a PNG that lacks only ``IEND``).
- Every other format is decoded fully (they are rare in these datasets; ``verify()`` checks little for them).

``decode=True`` (``--decode-images``) decodes every image fully: it also catches a PNG whose compressed data is
damaged under valid CRCs. (Pillow decodes a damaged JPEG body without an error, so neither level rejects one,
and LLaMA-Factory trains on it.) Token counts come from the header size through LLaMA-Factory's resize rule and
transformers' ``smart_resize``, which equals what LLaMA-Factory computes from the pixels.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any

JPEG_END = b"\xff\xd9"


class Reject(Exception):
    """The row is rejected: ``reason`` is the reject reason, the message its detail. Raised for images here and
    for every other rule by the row checker."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def lf_resized_size(width: int, height: int, max_pixels: int, min_pixels: int) -> tuple[int, int]:
    """The size LLaMA-Factory's qwen2_vl plugin hands to the image processor (``_preprocess_image``)."""
    if width * height > max_pixels:
        factor = math.sqrt(max_pixels / (width * height))
        width, height = int(width * factor), int(height * factor)
        if width <= 0 or height <= 0:
            raise ValueError("height and width must be > 0 after resizing")
    if width * height < min_pixels:
        factor = math.sqrt(min_pixels / (width * height))
        width, height = int(width * factor), int(height * factor)
    if min(width, height) < 28:
        width, height = max(width, 28), max(height, 28)
    if width / height > 200:
        width, height = height * 180, height
    if height / width > 200:
        width, height = width, width * 180
    return width, height


def _source(image: Any) -> Any:
    """What Pillow opens for one entry of an images column, following LLaMA-Factory's cases."""
    if isinstance(image, str):
        if not Path(image).is_file():
            raise Reject("missing_image", f"{image} not found")
        return image
    if isinstance(image, bytes):
        return io.BytesIO(image)
    if isinstance(image, dict):
        if image.get("bytes") is not None:
            return io.BytesIO(image["bytes"])
        path = image.get("path")
        if not isinstance(path, str) or not Path(path).is_file():
            raise Reject("missing_image", f"{path} not found (an image given as a dict without bytes)")
        return path
    if image is None:
        raise Reject("missing_image", "the image is null")
    raise Reject("invalid_row", f"an image is a {type(image).__name__}, not a path, bytes or a dict")


def _rewind(source: Any) -> Any:
    if isinstance(source, io.BytesIO):
        source.seek(0)
    return source


def _decodes(source: Any) -> None:
    from PIL import Image

    with Image.open(_rewind(source)) as opened:
        opened.load()


def _ends_with_jpeg_marker(opened: Any) -> bool:
    handle = opened.fp
    handle.seek(-2, os.SEEK_END)
    return handle.read(2) == JPEG_END


def image_size(image: Any, decode: bool = False) -> tuple[int, int]:
    """(width, height) of an image LLaMA-Factory can open and decode; :class:`Reject` otherwise."""
    from PIL import Image, UnidentifiedImageError

    source = _source(image)
    label = str(image)[:200] if isinstance(image, str) else f"<{type(image).__name__} image>"
    try:
        with Image.open(source) as opened:
            size, image_format = opened.size, opened.format
            if decode or image_format not in ("JPEG", "MPO", "PNG"):
                opened.load()
                return size
            if image_format == "PNG":
                try:
                    opened.verify()
                    return size
                except (OSError, SyntaxError, ValueError):
                    pass  # verify is stricter than decoding (a missing IEND): let the decoder decide
            elif _ends_with_jpeg_marker(opened):
                return size
        _decodes(source)
        return size
    except Image.DecompressionBombError as error:
        raise Reject("undecodable_image", f"{label}: {error}") from error
    except (OSError, UnidentifiedImageError, ValueError, TypeError, SyntaxError) as error:
        raise Reject("undecodable_image", f"{label}: {error}") from error


def image_tokens(width: int, height: int, processor: Any) -> int:
    """Image tokens LLaMA-Factory's qwen2_vl plugin expands one ``<image>`` into, from the original size."""
    from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize

    try:
        width, height = lf_resized_size(width, height, processor.image_max_pixels, processor.image_min_pixels)
    except (ValueError, ZeroDivisionError) as error:  # LLaMA-Factory fails on the same image the same way
        raise Reject("undecodable_image", f"a {width}x{height} image: {error}") from error
    image_processor = processor.image_processor
    patch, merge = image_processor.patch_size, image_processor.merge_size
    resized_h, resized_w = smart_resize(
        height,
        width,
        factor=patch * merge,
        min_pixels=image_processor.size["shortest_edge"],
        max_pixels=image_processor.size["longest_edge"],
    )
    return (resized_h // patch) * (resized_w // patch) // (merge * merge)
