from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from vision_r1_plugins.testing.synthetic import write_images


@pytest.fixture
def write_problems() -> Callable[..., Path]:
    return _write_problems


def _write_problems(root: Path, count: int, extra_rows: list | None = None) -> Path:
    """``count`` arithmetic problems (the fake server solves them) over 4 generated images, as JSONL."""
    names = write_images(root / "imgs", 4)
    rows = [
        {
            "id": f"q{index}",
            "images": [f"imgs/{names[index % 4]}"],
            "problem": f"<image>What is {index} + {index + 3}?",
            "answer": str(2 * index + 3),
        }
        for index in range(count)
    ]
    path = root / "problems.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows + (extra_rows or [])) + "\n")
    return path
