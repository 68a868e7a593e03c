"""Images as rows carry them: paths (relative to the input), bytes, ``{"bytes", "path"}`` dicts (parquet and
HF ``Image`` features) or PIL images. Each is checked to open before any work is spent on its row."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.errors import UsageError

IMAGE_PLACEHOLDER = "<image>"
_JPEG_FORMATS = ("JPEG", "JPG", "MPO")


@dataclass(frozen=True)
class ImageRef:
    """An image as bytes (with its format) or a file path; loaded when a request needs it."""

    path: str | None = None
    data: bytes | None = None
    format: str = "PNG"

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return Path(self.path).read_bytes()

    @property
    def mime(self) -> str:
        return "image/jpeg" if self.format.upper() in _JPEG_FORMATS else f"image/{self.format.lower()}"

    @property
    def extension(self) -> str:
        return "jpg" if self.format.upper() in _JPEG_FORMATS else self.format.lower()


@dataclass(frozen=True)
class ImageProblem:
    """Why a value is not a usable image: ``reason`` is ``missing_image`` or ``corrupt_image``."""

    reason: str
    detail: str


def image_ref(value: Any, base: Path) -> ImageRef | ImageProblem:
    """An ImageRef, or the problem that makes this value unusable."""
    from PIL import Image, UnidentifiedImageError

    if isinstance(value, Image.Image):
        buffer = io.BytesIO()
        value.save(buffer, format="PNG")
        return ImageRef(data=buffer.getvalue(), format="PNG")
    if isinstance(value, dict):
        value = value.get("bytes") if value.get("bytes") is not None else value.get("path")
    if isinstance(value, str):
        path = Path(value) if Path(value).is_absolute() else base / value
        if not path.is_file():
            return ImageProblem("missing_image", value)
        source: Any = path
    elif isinstance(value, bytes | bytearray):
        source = io.BytesIO(bytes(value))
    else:
        return ImageProblem("corrupt_image", f"unsupported image value {type(value).__name__}")
    try:
        with Image.open(source) as opened:
            image_format = opened.format or "PNG"
            opened.verify()
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as error:
        return ImageProblem("corrupt_image", str(error))
    if isinstance(source, Path):
        return ImageRef(path=str(source), format=image_format)
    return ImageRef(data=bytes(value), format=image_format)


def load_image_files(paths: list[str], base: Path | None = None) -> tuple[ImageRef, ...]:
    """Image files named on a command line; a bad one raises ``UsageError`` naming it."""
    refs = []
    for path in paths:
        ref = image_ref(path, base or Path.cwd())
        if isinstance(ref, ImageProblem):
            raise UsageError(f"image {path}: {ref.reason.replace('_', ' ')} {ref.detail}".rstrip())
        refs.append(ref)
    return tuple(refs)
