from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from vision_r1_plugins.cli import app


def test_demo_scores_the_bundled_sample(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--workdir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "reward_scores.jsonl").read_text().splitlines()]
    samples = Path(__file__).resolve().parents[1] / "data" / "samples" / "responses.jsonl"
    assert len(records) == len(samples.read_text().splitlines())
    by_id = {record["id"]: record for record in records}
    assert by_id["geo-02"]["score"] == 1.0  # \sqrt{12} for 2\sqrt{3}
    assert by_id["geo-08"]["reason"] == "multiple_candidates"
    assert by_id["geo-12"]["reason"] == "two_think"
