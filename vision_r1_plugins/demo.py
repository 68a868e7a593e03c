"""``vision-r1 demo``: the project's main job on the bundled sample, offline.

Today the demo covers the reward; each later stage of the pipeline adds its step here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vision_r1_plugins.reward.files import ScoreSummary, score_file

REPO_DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE_RESPONSES = REPO_DATA / "samples" / "responses.jsonl"


@dataclass
class DemoStep:
    title: str
    output: Path
    summary: ScoreSummary


def run_demo(workdir: Path, samples: Path = SAMPLE_RESPONSES) -> list[DemoStep]:
    if not samples.is_file():
        raise FileNotFoundError(f"sample responses not found at {samples}; run the demo from a clone of the repo")
    workdir.mkdir(parents=True, exist_ok=True)
    scores = workdir / "reward_scores.jsonl"
    summary = score_file(samples, scores)
    return [DemoStep("Scored the sample responses with the hard format-and-answer reward", scores, summary)]
