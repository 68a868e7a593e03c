"""One type per column: the rules checked against what pyarrow (through ``datasets``) accepts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vision_r1_plugins.llamafactory.columns import ColumnShapes


def _admit(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    shapes, kept, conflicts = ColumnShapes(), [], []
    for row in rows:
        admitted, conflict = shapes.conform(row)
        if admitted is None:
            conflicts.append(conflict)
        else:
            kept.append(admitted)
    return kept, conflicts


def test_lossless_conversions_and_refusals() -> None:
    kept, conflicts = _admit(
        [
            {"image": "a.png", "id": 1},
            {"image": ["b.png"], "id": 2.5},  # a one-item list in a string column: the string; ints and floats mix
            {"image": ["c.png", "d.png"], "id": 3},  # no lossless form
            {"image": None, "id": None},  # null fits anything
            {"image": "e.png", "id": "4"},
        ]
    )
    assert [row["image"] for row in kept] == ["a.png", "b.png", None]
    assert conflicts == [
        "column /image is an array here but a string in earlier rows: pyarrow would refuse the whole file",
        "column /id is a string here but a number in earlier rows: pyarrow would refuse the whole file",
    ]
    kept, conflicts = _admit([{"images": ["a.png"]}, {"images": "b.png"}, {"images": []}, {"images": [5]}])
    assert [row["images"] for row in kept] == [["a.png"], ["b.png"], []] and len(conflicts) == 1


def test_nested_shapes_learn_only_from_admitted_rows() -> None:
    first = {"m": [{"from": "human", "value": "q", "w": 1}]}
    bad_inside = {"m": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a", "w": "x"}]}
    mixed_in_one_row = {"n": [1, "two"]}
    kept, conflicts = _admit([first, bad_inside, mixed_in_one_row, {"n": ["three"]}, {"m": [{"w": 2.0}]}])
    assert conflicts == [
        "column /m/[]/w is a string here but a number in earlier rows: pyarrow would refuse the whole file",
        "column /n/[] is a string here but a number in earlier rows: pyarrow would refuse the whole file",
    ]
    assert kept == [first, {"n": ["three"]}, {"m": [{"w": 2.0}]}]  # the refused row taught nothing


@pytest.mark.parametrize(
    "rows",
    [
        [{"image": "a.png", "id": 1}, {"image": ["b.png"], "id": 2.5}, {"image": ["c.png", "d.png"]}, {"id": "x"}],
        [{"m": [{"w": 1}]}, {"m": [{"w": "x"}]}, {"m": [{"v": True}]}, {"m": [{"v": 1}]}],
    ],
)
def test_what_is_admitted_loads_through_datasets(rows: list[dict[str, Any]], tmp_path: Path) -> None:
    import datasets

    kept, conflicts = _admit(rows)
    assert conflicts
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in kept))
    loaded = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache"))
    assert len(loaded) == len(kept)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))  # the rows as given: refused
    with pytest.raises(datasets.exceptions.DatasetGenerationError):
        datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache2"))
