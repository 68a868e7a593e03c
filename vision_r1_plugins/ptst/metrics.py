"""Per-stage training curves from verl's file logger: ``vision-r1 ptst metrics``.

The runner points verl's ``file`` logger (``trainer.logger`` must include ``file``) at
``CHECKPOINT_DIR/metrics/NN-STAGE-fromSTEP.jsonl``, one ``{"step": N, "data": {metric: value}}`` line per step.
"""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from vision_r1_plugins.core.errors import UsageError

# verl 0.9.1 metric names: the reward function's score, the response length, the truncation rate, the PPO clip rate.
METRICS = {
    "reward": "critic/score/mean",
    "response_length": "response_length/mean",
    "truncated": "response_length/clip_ratio",
    "pg_clipfrac": "actor/pg_clipfrac",
}
_FILE = re.compile(r"(\d+)-(.+)-from(\d+)\.jsonl$")


@dataclass
class StageMetrics:
    index: int
    name: str
    steps: list[int] = field(default_factory=list)
    series: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in METRICS})

    def mean(self, name: str) -> float | None:
        values = self.series[name]
        return statistics.fmean(values) if values else None


def read_metrics(metrics_dir: str | Path) -> list[StageMetrics]:
    """Stages in order; within a stage, later attempts (after a crash) override the steps they repeat."""
    stages: dict[int, StageMetrics] = {}
    by_step: dict[int, dict[int, dict[str, float]]] = {}
    files = sorted(Path(metrics_dir).glob("*.jsonl"), key=lambda path: (_key(path)[0], _key(path)[2]))
    for path in files:
        index, name, _ = _key(path)
        stages.setdefault(index, StageMetrics(index, name))
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
                step, data = int(record["step"]), record["data"]
            except (ValueError, KeyError, TypeError):
                continue  # a line cut off by a crash
            if METRICS["reward"] in data:  # validation-only lines carry no training metrics
                by_step.setdefault(index, {})[step] = data
    for index, steps in by_step.items():
        stage = stages[index]
        for step in sorted(steps):
            stage.steps.append(step)
            for name, key in METRICS.items():
                if key in steps[step]:
                    stage.series[name].append(float(steps[step][key]))
    return [stages[index] for index in sorted(stages)]


def _key(path: Path) -> tuple[int, str, int]:
    match = _FILE.search(path.name)
    return (int(match.group(1)), match.group(2), int(match.group(3))) if match else (999, path.stem, 0)


def plot_metrics(stages: list[StageMetrics], output: str | Path) -> Path:
    """Reward and response length against the global step, one colour per stage: PTST's 'shorter, then longer'."""
    # A Figure without pyplot renders through Agg and leaves the caller's global backend untouched.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 4), layout="tight")
    axes = figure.subplots(1, 2)
    for stage in stages:
        for axis, name in zip(axes, ("reward", "response_length"), strict=True):
            values = stage.series[name]
            if values:
                axis.plot(stage.steps[: len(values)], values, label=stage.name)
    for axis, title in zip(axes, ("reward (critic/score/mean)", "response length (tokens, mean)"), strict=True):
        axis.set_title(title)
        axis.set_xlabel("global step")
        axis.legend()
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    return path


PTST_CURVES_PNG = "ptst_curves.png"


def report_section(metrics_dir: str | Path, output_dir: str | Path) -> list[str]:
    """A Markdown section with PTST's per-stage curves (plotted into ``output_dir``) and means, for the
    evaluation report; a folder without training data gets a note."""
    folder = Path(metrics_dir)
    if not folder.is_dir():
        raise UsageError(f"{folder}: PTST metrics directory does not exist")
    stages = [stage for stage in read_metrics(folder) if stage.steps]
    lines = ["## PTST training curves", ""]
    if not stages:
        return [*lines, f"No training metrics found in `{folder}`.", ""]
    plot_metrics(stages, Path(output_dir) / PTST_CURVES_PNG)
    rows = [
        f"| {stage.name.replace('|', chr(92) + '|')} | {stage.steps[0]}–{stage.steps[-1]} | "
        f"{_optional(stage.mean('reward'), '.3f')} | {_optional(stage.mean('response_length'), '.1f')} |"
        for stage in stages
    ]
    table = ["| stage | steps | mean reward | mean response length |", "|---|---:|---:|---:|", *rows, ""]
    return [*lines, f"![PTST training curves]({PTST_CURVES_PNG})", "", *table]


def _optional(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)
