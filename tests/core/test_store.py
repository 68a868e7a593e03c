"""The crash-safe result store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vision_r1_plugins.core.store import ResultStore, StoreError


def test_store_truncates_a_cut_line_and_refuses_to_clobber(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    store = ResultStore(path)
    store.put(("a", "caption_cot", "v1", "m"), {"content": "x"})
    store.put(("a", "description", "v1", "m"), {"content": "y"})
    with pytest.raises(StoreError, match="duplicate"):
        store.put(("a", "description", "v1", "m"), {"content": "z"})
    store.close()
    with path.open("a") as handle:
        handle.write('{"key": ["b", "caption_cot", "v1"')  # killed mid-write
    with pytest.raises(StoreError, match="--resume"):
        ResultStore(path)
    resumed = ResultStore(path, resume=True)
    assert len(resumed) == 2 and resumed.get(("a", "description", "v1", "m")) == {"content": "y"}
    resumed.put(("b", "caption_cot", "v1", "m"), {"content": "w"})
    resumed.close()
    assert [json.loads(line)["key"][0] for line in path.read_text().splitlines()] == ["a", "a", "b"]


def test_a_corrupt_line_inside_the_store_is_named_not_skipped(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    good = json.dumps({"key": ["a", "caption_cot", "v1", "m"], "result": {"content": "x"}})
    path.write_text(f"{good}\nnot json\n{good.replace('caption_cot', 'description')}\n")
    with pytest.raises(StoreError, match=r"requests\.jsonl:2: not a stored result"):
        ResultStore(path, resume=True)
