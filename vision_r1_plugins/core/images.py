"""Images as rows carry them: paths (relative to the input), bytes, ``{"bytes", "path"}`` dicts (parquet and
HF ``Image`` features) or PIL images. Each is checked to open before any work is spent on its row."""

from __future__ import annotations

import functools
import io
import stat
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
        try:
            status = path.stat()
        except OSError:
            status = None
        if status is None or not stat.S_ISREG(status.st_mode):
            return ImageProblem("missing_image", value)
        checked = _check_file(str(path), status.st_mtime_ns, status.st_size)
        return ImageRef(path=str(path), format=checked) if isinstance(checked, str) else checked
    if not isinstance(value, bytes | bytearray):
        return ImageProblem("corrupt_image", f"unsupported image value {type(value).__name__}")
    try:
        with Image.open(io.BytesIO(bytes(value))) as opened:
            image_format = opened.format or "PNG"
            opened.verify()
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as error:
        return ImageProblem("corrupt_image", str(error))
    return ImageRef(data=bytes(value), format=image_format)


# Datasets reuse figures across questions (MathVerse asks about each image five ways): a file checked once is not
# decoded again while it is unchanged. Bounded, so memory stays flat however many distinct images a run reads.
@functools.lru_cache(maxsize=4096)
def _check_file(path: str, mtime_ns: int, size: int) -> str | ImageProblem:
    """The format of the image file ``path`` (as of that modification time and size), or why it is unusable."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            image_format = opened.format or "PNG"
            opened.verify()
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as error:
        return ImageProblem("corrupt_image", str(error))
    return image_format


def load_image_files(paths: list[str], base: Path | None = None) -> tuple[ImageRef, ...]:
    """Image files named on a command line; a bad one raises ``UsageError`` naming it."""
    refs = []
    for path in paths:
        ref = image_ref(path, base or Path.cwd())
        if isinstance(ref, ImageProblem):
            raise UsageError(f"image {path}: {ref.reason.replace('_', ' ')} {ref.detail}".rstrip())
        refs.append(ref)
    return tuple(refs)
