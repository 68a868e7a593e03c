"""The image side of the index: perceptual hashes, compared all at once with numpy.

Each image gets two 64-bit hashes from ``imagehash``: ``phash`` (the signs of the low DCT frequencies against their
median) and ``dhash`` (the signs of horizontal gradients). Both survive JPEG re-encoding, resizing and PNG
conversion with a few bits changed (measured on structured images: phash at most 4 bits, dhash at most 10 after
JPEG quality 30); two different figures differ in about half of their bits. A pair matches when the phashes are
within ``max_distance`` bits (default 6 of 64) AND the dhashes within twice that (dhash moves more under JPEG
noise): the second hash keeps out line drawings that only share a layout.

A near-constant image (a blank page, a flat colour: the grey-level standard deviation under
:data:`DEGENERATE_STD` out of 255) has hashes made of noise around its median that collide with every other blank
image, so it is never matched: it is counted as ``degenerate_image`` instead (deny by default).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.overlap.deps import require

__all__ = ["DEGENERATE_STD", "ImageHasher", "ImageHashes", "ImageIndex", "ImageSkip", "hash_image"]

BITS = 64
DEGENERATE_STD = 3.0
# Decoding is the cost: a JPEG is decoded at a reduced scale (libjpeg's DCT scaling) no smaller than this,
# which is more than the 32x32 the hashes look at.
DRAFT_SIZE = (128, 128)
WORKER_CHUNK = 16
DHASH_FACTOR = 2


@dataclass(frozen=True)
class ImageHashes:
    """An image's perceptual hashes as unsigned 64-bit integers."""

    phash: int
    dhash: int


@dataclass(frozen=True)
class ImageSkip:
    """Why an image has no usable hash: ``degenerate_image`` (near-constant) or ``unreadable_image``."""

    reason: str
    detail: str


def _as_int(hashed: Any) -> int:
    return int.from_bytes(np.packbits(np.asarray(hashed.hash, dtype=bool).ravel()).tobytes(), "big")


def hash_image(source: bytes | str | Path) -> ImageHashes | ImageSkip:
    """The hashes of an image given as bytes or a file path, or why there are none. Never raises for a bad image."""
    from PIL import Image, UnidentifiedImageError

    imagehash = require("imagehash")
    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes | bytearray) else source) as opened:
            opened.draft("L", DRAFT_SIZE)  # a no-op for formats other than JPEG
            image = opened.convert("RGBA") if "A" in opened.getbands() or opened.mode == "P" else opened
            if image.mode == "RGBA":
                # Transparent areas read as black when the alpha is dropped; a page is white.
                background = Image.new("RGBA", image.size, (255, 255, 255, 255))
                image = Image.alpha_composite(background, image)
            gray = image.convert("L")
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        return ImageSkip("unreadable_image", f"{type(error).__name__}: {error}")
    small = np.asarray(gray.resize((32, 32), Image.Resampling.BILINEAR), dtype=np.float32)
    spread = float(small.std())
    if spread < DEGENERATE_STD:
        return ImageSkip("degenerate_image", f"near-constant image (grey-level std {spread:.1f} < {DEGENERATE_STD})")
    return ImageHashes(_as_int(imagehash.phash(gray)), _as_int(imagehash.dhash(gray)))


class ImageHasher:
    """:func:`hash_image` over many images, in ``workers`` processes (decoding dominates: it parallelises)."""

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise UsageError(f"--workers must be >= 1, got {workers}")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ImageHasher:
        if self.workers > 1:
            self._pool = ProcessPoolExecutor(self.workers)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def map(self, sources: Sequence[bytes | str | Path]) -> list[ImageHashes | ImageSkip]:
        """The hashes of ``sources``, in order."""
        return self.submit(sources)()

    def submit(self, sources: Sequence[bytes | str | Path]) -> Callable[[], list[ImageHashes | ImageSkip]]:
        """Start hashing ``sources``; the returned function waits for the hashes (in order). With worker processes
        the caller works on something else meanwhile (the text of the previous rows)."""
        if self._pool is None or len(sources) < 2:
            done = [hash_image(source) for source in sources]
            return lambda: done
        chunks = [list(sources[start : start + WORKER_CHUNK]) for start in range(0, len(sources), WORKER_CHUNK)]
        futures = [self._pool.submit(_hash_all, chunk) for chunk in chunks]
        return lambda: [hashes for future in futures for hashes in future.result()]


def _hash_all(sources: list[bytes | str | Path]) -> list[ImageHashes | ImageSkip]:
    return [hash_image(source) for source in sources]


def popcount(values: np.ndarray) -> np.ndarray:
    """Set bits per element of a uint64 array."""
    return np.bitwise_count(values)


@dataclass(frozen=True)
class ImageHit:
    """A matched benchmark image: its entry, its image number within the row, and the bits that differ."""

    entry: int
    image: int
    distance: int

    @property
    def similarity(self) -> float:
        return 1.0 - self.distance / BITS


class ImageIndex:
    """Benchmark image hashes as two uint64 arrays; a query is an XOR and a popcount against all of them."""

    def __init__(self, max_distance: int = 6) -> None:
        if not 0 <= max_distance < BITS // 2:
            raise UsageError(f"--image-distance must be in [0, {BITS // 2}), got {max_distance}")
        self.max_distance = max_distance
        self._rows: list[tuple[int, int, int, int]] = []  # (entry, image number, phash, dhash)
        self._phash = np.zeros(0, dtype=np.uint64)
        self._dhash = np.zeros(0, dtype=np.uint64)
        self._entries = np.zeros(0, dtype=np.int64)
        self._images = np.zeros(0, dtype=np.int64)

    def add(self, entry: int, image: int, hashes: ImageHashes) -> None:
        self._rows.append((entry, image, hashes.phash, hashes.dhash))

    def freeze(self) -> None:
        """Build the arrays; call once after the last :meth:`add`."""
        columns = list(zip(*self._rows, strict=True)) if self._rows else [(), (), (), ()]
        self._entries = np.asarray(columns[0], dtype=np.int64)
        self._images = np.asarray(columns[1], dtype=np.int64)
        self._phash = np.asarray(columns[2], dtype=np.uint64)
        self._dhash = np.asarray(columns[3], dtype=np.uint64)
        self._rows = []

    def __len__(self) -> int:
        return len(self._phash)

    def query(self, hashes: ImageHashes) -> list[ImageHit]:
        """Benchmark images within ``max_distance`` bits on both hashes, nearest first."""
        return next(iter(self.query_many([hashes])))

    def query_many(self, queries: Iterable[ImageHashes]) -> Iterator[list[ImageHit]]:
        """:meth:`query` for many images at once (one broadcast XOR per batch)."""
        batch = list(queries)
        if not batch or not len(self._phash):
            yield from ([] for _ in batch)
            return
        phash = np.asarray([query.phash for query in batch], dtype=np.uint64)[:, None]
        dhash = np.asarray([query.dhash for query in batch], dtype=np.uint64)[:, None]
        distance = popcount(self._phash[None, :] ^ phash)
        close = (distance <= self.max_distance) & (
            popcount(self._dhash[None, :] ^ dhash) <= DHASH_FACTOR * self.max_distance
        )
        for row in range(len(batch)):
            (found,) = np.nonzero(close[row])
            hits = [
                ImageHit(int(self._entries[i]), int(self._images[i]), int(distance[row, i])) for i in found.tolist()
            ]
            yield sorted(hits, key=lambda hit: (hit.distance, hit.entry))
