"""Images with real structure (gradients, shapes, lines, noise) and small training/benchmark files to plant
duplicates in."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw


def structured_image(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A figure-like image: a two-way gradient, six filled shapes, four lines and pixel noise, all from ``seed``."""
    rng = random.Random(seed)
    width, height = size
    ramp = np.linspace(0, 255, width)[None, :] * np.ones((height, 1))
    base = np.stack([ramp, ramp[:, ::-1] * 0.5 + rng.random() * 100, np.full((height, width), rng.random() * 255)], -1)
    image = Image.fromarray(base.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(width), rng.randrange(height)
        box = [x, y, x + rng.randrange(20, 120), y + rng.randrange(20, 120)]
        fill = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
    for _ in range(4):
        points = [rng.randrange(width), rng.randrange(height), rng.randrange(width), rng.randrange(height)]
        draw.line(points, fill=(0, 0, 0), width=3)
    noise = np.random.default_rng(seed).integers(-10, 10, (height, width, 3))
    return Image.fromarray(np.clip(np.asarray(image).astype(np.int16) + noise, 0, 255).astype(np.uint8))


def encoded(image: Image.Image, image_format: str = "PNG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows), "utf-8")
    return path


# Benchmark questions long enough to match on text (>= 8 words), each with its own figure.
BENCHMARK_QUESTIONS = [
    ("b1", "In triangle ABC, AB = AC and angle A = 40 degrees. Find the measure of angle B.", None),
    (
        "b2",
        "The straight line y = kx + b in the coordinate plane shown in the figure passes through the points (0, 3) "
        "and (2, 7), and crosses the x-axis at the point P. Find the value of k and give the coordinates of the "
        "point P.",
        None,
    ),
    ("b3", "A rectangle is 5 cm long and 3 cm wide. What is its perimeter in centimetres?", ["8", "15", "16", "30"]),
    ("b4", "The circle has radius $r = 4$. Find the area of the shaded sector with central angle 90 degrees.", None),
    ("b5", "How many apples are on the plate?", None),  # short: only its image can match
]


@pytest.fixture
def benchmark_file(tmp_path: Path) -> Path:
    """A vision_r1-layout benchmark of five rows, each with a PNG figure (seeds 100..104)."""
    folder = tmp_path / "bench"
    (folder / "images").mkdir(parents=True)
    rows = []
    for number, (row_id, question, choices) in enumerate(BENCHMARK_QUESTIONS):
        structured_image(100 + number).save(folder / "images" / f"{row_id}.png")
        rows.append(
            {"id": row_id, "problem": question, "answer": "1", "choices": choices, "images": [f"images/{row_id}.png"]}
        )
    return write_jsonl(folder / "bench.jsonl", [{**row, "category": "geometry"} for row in rows])


@pytest.fixture
def make_image() -> Any:
    """:func:`structured_image`, for tests (helpers are handed out as fixtures: tests import no test modules)."""
    return structured_image


@pytest.fixture
def encode() -> Any:
    return encoded


@pytest.fixture
def jsonl() -> Any:
    return write_jsonl


# Training rows planted against BENCHMARK_QUESTIONS: (id, question, choices, image: ("bench", n, variant) for a
# copy of benchmark figure n or ("fresh", seed), the benchmark row it must match or None, and how).
PLANTED = [
    (
        "t0",
        "in triangle abc ,  AB=AC and angle A = 40 degrees; find the measure of angle B",
        None,
        ("fresh", 500),
        "b1",
        "text_exact",
    ),
    (
        "t1",
        "A rectangle is 5 cm long and 3 cm wide. What is its perimeter in centimetres?\nChoices:\n(A) 30\n(B) 16\n"
        "(C) 8\n(D) 15",
        None,
        ("fresh", 501),
        "b3",
        "text_exact",
    ),
    (
        "t2",
        # An instruction sentence added (6 new shingles), LaTeX delimiters and spacing added: Jaccard 0.882.
        "The straight line $y=kx+b$ in the coordinate plane shown in the figure passes through the points $(0,3)$ and "
        "$(2,7)$, and crosses the $x$-axis at the point $P$. Find the value of $k$ and give the coordinates of the "
        "point $P$. Show your reasoning step by step.",
        None,
        ("fresh", 502),
        "b2",
        "text_near",
    ),
    ("t3", "How many apples are on the plate?", None, ("bench", 4, "jpeg"), "b5", "image"),
    (
        "t4",
        "The circle has radius $r = 6$. Find the area of the shaded sector with central angle 90 degrees.",
        None,
        ("fresh", 503),
        None,
        None,
    ),  # b4's template, other numbers, other figure: not a match
    (
        "t5",
        "A train leaves the station at 9 am travelling at 80 km per hour. When does it arrive 200 km away?",
        None,
        ("fresh", 504),
        None,
        None,
    ),
    (
        "t6",
        "Compute the shaded area shown in the figure using the measurements that are given there.",
        None,
        ("bench", 3, "resize"),
        "b4",
        "image",
    ),
]


def planted_image(spec: tuple[Any, ...]) -> bytes:
    if spec[0] == "fresh":
        return encoded(structured_image(spec[1]))
    figure = structured_image(100 + spec[1])
    return encoded(figure, "JPEG", quality=60) if spec[2] == "jpeg" else encoded(figure.resize((200, 150)), "PNG")


def write_training(folder: Path, train_format: str) -> Path:
    """The PLANTED rows as a training file of ``train_format``, images under ``folder/images``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (folder / "images").mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for row_id, question, choices, image, _, _ in PLANTED:
        data = planted_image(image)
        name = f"images/{row_id}.png"
        (folder / name).write_bytes(data)
        if train_format == "problems":
            rows.append(
                {"id": row_id, "problem": "<image>" + question, "answer": "1", "choices": choices, "images": [name]}
            )
        elif train_format == "problems_parquet":
            rows.append({"id": row_id, "problem": question, "answer": "1", "images": [{"bytes": data, "path": None}]})
        elif train_format == "sharegpt_json":
            turns = [{"from": "human", "value": "<image>" + question}, {"from": "gpt", "value": "<think>x</think>"}]
            rows.append({"conversations": turns, "images": [name]})
        elif train_format == "sharegpt_jsonl":
            turns = [{"role": "user", "content": "<image>" + question}, {"role": "assistant", "content": "ok"}]
            rows.append({"messages": turns, "images": [name]})
        elif train_format == "bridge_kept":
            turns = [{"role": "user", "content": "<image>" + question}, {"role": "assistant", "content": "ok"}]
            rows.append({"index": len(rows), "id": row_id, "row": {"messages": turns, "images": [name]}})
        elif train_format == "verl":
            prompt = [{"role": "user", "content": "<image>" + question}]
            extra = {
                "split": "train",
                "index": len(rows),
                "id": row_id,
                "answer": "1",
                "question": question,
                "choices": choices,
            }
            rows.append(
                {
                    "data_source": "vision_r1",
                    "prompt": prompt,
                    "images": [{"bytes": data}],
                    "ability": "math",
                    "reward_model": {"style": "rule", "ground_truth": "1"},
                    "extra_info": extra,
                }
            )
    if train_format in ("problems_parquet", "verl"):
        path = folder / "train.parquet"
        pq.write_table(pa.Table.from_pylist(rows), path)
        return path
    if train_format == "sharegpt_json":
        path = folder / "train.json"
        path.write_text(json.dumps(rows), "utf-8")
        return path
    return write_jsonl(folder / ("kept.jsonl" if train_format == "bridge_kept" else "train.jsonl"), rows)


@pytest.fixture
def planted() -> Any:
    return PLANTED


@pytest.fixture
def training_writer() -> Any:
    return write_training
