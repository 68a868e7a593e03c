"""The whole bridge offline on CPU with the tiny Qwen2.5-VL: outputs are random, so this checks the plumbing."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from vision_r1_plugins.cli import app


def test_transformers_backend_end_to_end(tmp_path: Path, tiny_model_dir: Path, write_problems) -> None:
    source = write_problems(tmp_path, 3, [{"id": "bad", "images": [], "problem": "What is 1 + 1?", "answer": "2"}])
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "bridge", str(source), "--out", str(out), "--backend", "transformers", "--mllm-model", str(tiny_model_dir),
        "--mllm-max-tokens", "6", "--reasoner-max-tokens", "6", "--parquet",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"] == 4
    assert summary["kept"] + sum(summary["filtered"].values()) + sum(summary["rejected"].values()) == 4
    assert summary["rejected"] == {"no_image": 1}
    assert all(summary["requests"][stage]["done"] == 3 for stage in ("caption_cot", "description", "reasoning"))
    keys = [json.loads(line)["key"] for line in (out / "requests.jsonl").read_text().splitlines()]
    assert len(keys) == 9 and {key[3] for key in keys} == {str(tiny_model_dir)}
    filtered = [json.loads(line) for line in (out / "filtered.jsonl").read_text().splitlines()]
    assert len(filtered) == sum(summary["filtered"].values())
    assert all(record["reason"] for record in filtered)
    assert json.loads((out / "vision_r1_bridged.json").read_text()) == []  # random text never verifies
    assert (out / "vision_r1_bridged.parquet").is_file()
    assert "vision_r1_bridged" in json.loads((out / "dataset_info.json").read_text())
