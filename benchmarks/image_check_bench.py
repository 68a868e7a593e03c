"""The cost of each way to check an image before training, and what each catches, side by side in one run.

    .venv/bin/python benchmarks/image_check_bench.py [--size 640x480] [--repeat 200]

For one JPEG and one PNG of a photo-like picture (smooth gradients and noise, as a camera gives), each check runs
``--repeat`` times: opening the header, the JPEG end-marker check (the validator's default for JPEG), Pillow's
``verify()`` (the default for PNG), a reduced-size JPEG decode (``draft``, a candidate that was not chosen) and a
full decode (``--decode-images``). Then each check meets the same faults: files cut at half, cut by 2 bytes, with
their last 100 bytes gone, a JPEG with garbage in its body (which Pillow decodes without an error, as LLaMA-Factory
then does) and a PNG whose compressed data is damaged under valid CRCs; "caught" means the check raised.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

from vision_r1_plugins.testing.synthetic import png_with_damaged_data

JPEG_END = b"\xff\xd9"


def photo(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray((rng.random((height // 16, width // 16, 3)) * 255).astype("uint8"))
    smooth = np.asarray(coarse.resize((width, height), Image.BICUBIC)).astype(int)
    return Image.fromarray(np.clip(smooth + rng.integers(-8, 8, smooth.shape), 0, 255).astype("uint8"))


def header(opened: Any) -> None:
    opened.size  # noqa: B018


def end_marker(opened: Any) -> None:
    opened.fp.seek(-2, os.SEEK_END)
    if opened.fp.read(2) != JPEG_END:
        raise OSError("no end-of-image marker")


def verify(opened: Any) -> None:
    opened.verify()


def draft_decode(opened: Any) -> None:
    opened.draft("RGB", (max(1, opened.width // 8), max(1, opened.height // 8)))
    opened.load()


def full_decode(opened: Any) -> None:
    opened.load()


CHECKS: dict[str, Callable[[Any], None]] = {
    "open (header only)": header,
    "JPEG end marker (default for JPEG)": end_marker,
    "verify() (default for PNG)": verify,
    "reduced JPEG decode (draft 1/8)": draft_decode,
    "full decode (--decode-images)": full_decode,
}


def caught(check: Callable[[Any], None], data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as opened:
            check(opened)
    except Exception:
        return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    picture = photo(width, height)
    files = {}
    for name, options in (("JPEG", {"quality": 85}), ("PNG", {})):
        buffer = io.BytesIO()
        picture.save(buffer, name, **options)
        files[name] = buffer.getvalue()
    jpeg, png = files["JPEG"], files["PNG"]
    scan = jpeg.index(b"\xff\xda")
    faults = {
        "JPEG cut at half": jpeg[: len(jpeg) // 2],
        "JPEG cut by 2 bytes": jpeg[:-2],
        "JPEG cut by 100 bytes": jpeg[:-100],
        "JPEG body garbage": jpeg[: scan + 40] + b"\xff\xd0" * 500 + jpeg[-2:],
        "PNG cut at half": png[: len(png) // 2],
        "PNG cut by 100 bytes": png[:-100],
        "PNG data damaged, CRCs valid": png_with_damaged_data(png),
    }
    print(
        f"{width}x{height} photo-like picture: JPEG {len(jpeg) // 1024} KiB, PNG {len(png) // 1024} KiB; "
        f"{args.repeat} repeats; Pillow {Image.__version__}"
    )
    print()
    print(f"| {'check':<36} | {'JPEG ms':>8} | {'PNG ms':>8} | " + " | ".join(faults) + " |")
    print(f"|{'-' * 38}|{'-' * 10}|{'-' * 10}|" + "|".join("-" * (len(name) + 2) for name in faults) + "|")
    for label, check in CHECKS.items():
        cells = []
        for name in ("JPEG", "PNG"):
            if (check is end_marker or check is draft_decode) and name == "PNG":
                cells.append(f"{'n/a':>8}")
                continue
            start = time.perf_counter()
            for _ in range(args.repeat):
                with Image.open(io.BytesIO(files[name])) as opened:
                    check(opened)
            cells.append(f"{(time.perf_counter() - start) / args.repeat * 1000:>8.3f}")
        verdicts = []
        for name, data in faults.items():
            applies = not ((check is end_marker or check is draft_decode) and name.startswith("PNG"))
            verdicts.append(f"{('caught' if caught(check, data) else 'missed') if applies else 'n/a':>{len(name)}}")
        print(f"| {label:<36} | " + " | ".join(cells) + " | " + " | ".join(verdicts) + " |")


if __name__ == "__main__":
    main()
