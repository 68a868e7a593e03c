"""What a kept sample becomes: an SFT response, its images, and LLaMA-Factory sharegpt rows.

The response is ``<think>\\nREASONING\\n</think>\\n<answer> Final Answer: X </answer>``, the format the reward
checks; the dataset is registered as ``vision_r1_bridged`` in the output folder's ``dataset_info.json``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.dataset_info import bundled_entries, register_datasets
from vision_r1_plugins.core.errors import RunError
from vision_r1_plugins.core.files import write_text_atomically
from vision_r1_plugins.core.problems import IMAGE_PLACEHOLDER, Problem
from vision_r1_plugins.core.rows import BadRow, read_jsonl
from vision_r1_plugins.generation import join_thinking

DATASET_NAME = "vision_r1_bridged"


def compose_response(reasoning: str, answer: str) -> str:
    return join_thinking(reasoning, f"<answer> Final Answer: {answer} </answer>")


def safe_name(sample_id: str) -> str:
    """A file-name stem for an id; distinct ids stay distinct (a hash suffix when characters were replaced)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", sample_id)[:80]
    if cleaned == sample_id:
        return cleaned
    return f"{cleaned}_{hashlib.sha256(sample_id.encode()).hexdigest()[:8]}"


def image_names(problem: Problem) -> list[str]:
    """Where each image of a kept problem goes, relative to the output folder."""
    stem = safe_name(problem.id)
    return [f"images/{stem}_{number}.{image.extension}" for number, image in enumerate(problem.images)]


def sharegpt_row(problem: Problem, response: str, images: list[str]) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": IMAGE_PLACEHOLDER * len(images) + problem.question_with_choices()},
            {"role": "assistant", "content": response},
        ],
        "images": images,
    }


def export(out_dir: Path, parquet: bool = False) -> tuple[Path, int]:
    """Kept rows, in input order, as LLaMA-Factory sharegpt JSON registered in ``out_dir/dataset_info.json``."""
    records = []
    for number, record in read_jsonl(out_dir / "kept.jsonl", own_file=True):
        if isinstance(record, BadRow) or "row" not in record or not isinstance(record.get("index"), int):
            raise RunError(f"{out_dir / 'kept.jsonl'}:{number}: not a kept sample; rerun with --resume to rebuild it")
        records.append(record)
    rows = [record["row"] for record in sorted(records, key=lambda record: record["index"])]
    path = write_text_atomically(out_dir / f"{DATASET_NAME}.json", json.dumps(rows, ensure_ascii=False, indent=1))
    register_datasets(out_dir, bundled_entries([DATASET_NAME]), force=True)
    if parquet:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), out_dir / f"{DATASET_NAME}.parquet")
    return path, len(rows)
