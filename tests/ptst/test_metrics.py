"""Per-step records from verl's file logger: the stage comes from the trainer's ``ptst/*`` metrics (hook mode) or
the file name (logs of verl's stock trainer); a step logged by two attempts is kept once, the later one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.ptst.metrics import read_metrics, read_steps, step_rows


def write(path: Path, records: list[tuple[int, dict]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"step": step, "data": {"critic/score/mean": 0.5, **data}}) for step, data in records]
    path.write_text("\n".join(lines) + '\n{"step": 9, "da')  # the last line cut off by a kill


def test_hook_logs_across_a_kill(tmp_path: Path) -> None:
    def stage(index: int, n: int, length: int) -> dict[str, int]:
        return {"ptst/stage_index": index, "ptst/rollout_n": n, "response_length/max": length}

    write(tmp_path / "hook-from0.jsonl", [(1, stage(0, 4, 16)), (2, stage(0, 4, 16)), (3, stage(1, 2, 30))])
    write(tmp_path / "hook-from2.jsonl", [(3, stage(1, 2, 32)), (4, stage(1, 2, 32))])
    records = read_steps(tmp_path)
    assert [record.step for record in records] == [1, 2, 3, 4]
    rows = step_rows(records, ["short", "long"], [4, 2])
    assert [(row["stage"], row["rollout_n"], row["response_length_max"]) for row in rows] == [
        ("short", 4, 16),
        ("short", 4, 16),
        ("long", 2, 32),
        ("long", 2, 32),
    ]
    assert {row["rollout_n_source"] for row in rows} == {"trainer"}
    assert [stage.name for stage in read_metrics(tmp_path, ["short", "long"])] == ["short", "long"]


def test_stock_trainer_logs_take_the_stage_from_the_file(tmp_path: Path) -> None:
    write(tmp_path / "00-short-from0.jsonl", [(1, {}), (2, {})])
    write(tmp_path / "01-long-from2.jsonl", [(3, {})])
    rows = step_rows(read_steps(tmp_path), ["short", "long"], [4, 2])
    assert [(row["stage"], row["rollout_n"], row["rollout_n_source"]) for row in rows] == [
        ("short", 4, "schedule"),
        ("short", 4, "schedule"),
        ("long", 2, "schedule"),
    ]


def test_a_line_that_is_not_a_log_record_is_named(tmp_path: Path) -> None:
    path = tmp_path / "00-short-from0.jsonl"
    good = json.dumps({"step": 1, "data": {"critic/score/mean": 0.5}})
    path.write_text(f"{good}\nnot json\n{good}\n")
    with pytest.raises(UsageError, match=r"00-short-from0\.jsonl:2: not a verl file-logger line"):
        read_steps(tmp_path)
