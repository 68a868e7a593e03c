"""Score a JSONL file of responses: ``vision-r1 reward score``.

Output is one line per input line, in order, so a killed run resumes by counting what it already wrote.
A line that cannot be scored (bad JSON, no ``response``) still gets an output line with its reason.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vision_r1_plugins.reward.options import RewardOptions
from vision_r1_plugins.reward.scorer import score_many

CHUNK_ROWS = 512


@dataclass
class ScoreSummary:
    rows: int = 0
    skipped_on_resume: int = 0
    invalid: int = 0
    total_score: float = 0.0
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def scored(self) -> int:
        return self.rows - self.invalid

    @property
    def mean_score(self) -> float:
        return self.total_score / self.scored if self.scored else 0.0


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def _rows(path: Path, skip: int) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if number > skip:
                yield number, line


def _check_row(line: str) -> tuple[dict[str, Any] | None, str]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        return None, f"invalid_json: {error.msg}"
    if not isinstance(row, dict):
        return None, "invalid_row: not a JSON object"
    if not isinstance(row.get("response"), str):
        return None, "invalid_row: no string 'response'"
    if "ground_truth" not in row:
        return None, "invalid_row: no 'ground_truth'"
    return row, ""


def score_file(
    input_path: Path,
    output_path: Path,
    *,
    resume: bool = False,
    on_progress: Callable[[int], None] | None = None,
    options: RewardOptions | None = None,
) -> ScoreSummary:
    """Score every line of ``input_path`` into ``output_path``; ``on_progress(n)`` after each n rows."""
    summary = ScoreSummary()
    done = count_lines(output_path) if resume and output_path.exists() else 0
    summary.skipped_on_resume = done
    mode = "a" if done else "w"
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with output_path.open(mode, encoding="utf-8") as out:
        chunk: list[tuple[int, str]] = []
        for item in _rows(input_path, done):
            chunk.append(item)
            if len(chunk) == CHUNK_ROWS:
                _score_chunk(chunk, out, summary, on_progress, options or RewardOptions())
                chunk = []
        if chunk:
            _score_chunk(chunk, out, summary, on_progress, options or RewardOptions())
    return summary


def _score_chunk(
    chunk: list[tuple[int, str]],
    out: Any,
    summary: ScoreSummary,
    on_progress: Callable[[int], None] | None,
    options: RewardOptions,
) -> None:
    checked = [(number, *_check_row(line)) for number, line in chunk]
    valid = [(number, row) for number, row, _ in checked if row is not None]
    results = score_many(
        [row["response"] for _, row in valid],
        [row["ground_truth"] for _, row in valid],
        [{"choices": row["choices"]} if row.get("choices") else row.get("extra_info") for _, row in valid],
        options,
        on_done=(lambda index, result: on_progress(1)) if on_progress else None,
    )
    by_line = {number: result for (number, _), result in zip(valid, results, strict=True)}
    for number, row, problem in checked:
        if row is None:
            record = {
                "line": number,
                "score": 0.0,
                "format_ok": False,
                "answer_ok": False,
                "pred": "",
                "reason": problem,
            }
            summary.invalid += 1
            if on_progress:
                on_progress(1)
        else:
            record = {"line": number, **by_line[number]}
            if "id" in row:
                record["id"] = row["id"]
            summary.total_score += record["score"]
        summary.rows += 1
        summary.reasons[record["reason"].split(":")[0]] += 1
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
