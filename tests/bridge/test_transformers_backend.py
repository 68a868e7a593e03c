"""The bridge with the local transformers backend (the tiny Qwen2.5-VL, images through its real processor)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from vision_r1_plugins.bridge.pipeline import BridgeConfig, bridge
from vision_r1_plugins.cli import app
from vision_r1_plugins.core.store import read_results
from vision_r1_plugins.generation import BackendConfig, Sampling, make_backend
from vision_r1_plugins.testing.fake_server import FakeServer


def test_cli_with_transformers_backend_accounts_for_every_row(
    tmp_path: Path, tiny_model_dir: Path, write_problems
) -> None:
    source = write_problems(tmp_path, 3, [{"id": "bad", "images": [], "problem": "What is 1 + 1?", "answer": "2"}])
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "bridge",
            str(source),
            "--out",
            str(out),
            "--backend",
            "transformers",
            "--model",
            str(tiny_model_dir),
            "--max-tokens",
            "6",
            "--reasoner-max-tokens",
            "6",
            "--parquet",
        ],
    )
    # Six random tokens never verify: nothing is kept, which the CLI reports as a failed run.
    assert result.exit_code == 1, result.output
    assert "no sample was kept out of 4" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"] == 4 and summary["kept"] == 0
    assert summary["rejected"] == {"no_image": 1}
    # Each caption stopped at the 6-token budget: the sample is filtered there, not built on a cut-off reply.
    assert summary["filtered"] == {"truncated": 3}
    done = {stage: summary["requests"][stage]["done"] for stage in ("caption_cot", "description", "reasoning")}
    assert done == {"caption_cot": 3, "description": 0, "reasoning": 0}
    keys = [key for key, _ in read_results(out / "requests.sqlite")]
    assert len(keys) == 3 and {key[3] for key in keys} == {str(tiny_model_dir)}
    filtered = [json.loads(line) for line in (out / "filtered.jsonl").read_text().splitlines()]
    assert [record["reason"] for record in filtered] == ["truncated"] * 3
    assert json.loads((out / "vision_r1_bridged.json").read_text()) == []
    assert (out / "vision_r1_bridged.parquet").is_file()
    assert "vision_r1_bridged" in json.loads((out / "dataset_info.json").read_text())


def test_a_local_mllm_cut_off_at_its_limit_never_reaches_the_served_reasoner(
    tmp_path: Path, tiny_model_dir: Path, write_problems
) -> None:
    """The MLLM stages run on the local model (images through its processor); its 8 random tokens always hit the
    limit, so no reasoner request is spent on a cut-off caption. (The fake-server tests keep verified samples.)"""
    source = write_problems(tmp_path, 3)
    mllm = make_backend(BackendConfig("transformers", str(tiny_model_dir), sampling=Sampling(max_tokens=8)))
    with FakeServer() as server:
        reasoner = make_backend(BackendConfig("openai", "fake-reasoner", server.url))
        report = bridge(BridgeConfig(source, tmp_path / "out"), mllm, reasoner)
        stats = server.stats()
    assert stats["requests"] == 0
    assert (report.input, report.kept, report.filtered, report.rejected) == (3, 0, {"truncated": 3}, {})
    assert report.requests["caption_cot"]["done"] == 3
    records = [json.loads(line) for line in (tmp_path / "out" / "filtered.jsonl").read_text().splitlines()]
    assert all("caption_cot reply hit its token limit" in record["detail"] for record in records)
