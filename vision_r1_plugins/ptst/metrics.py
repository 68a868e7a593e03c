"""Per-stage training curves from verl's file logger: ``vision-r1 ptst metrics``.

The runner points verl's ``file`` logger (``trainer.logger`` must include ``file``) at one file per attempt in
``CHECKPOINT_DIR/metrics/``: ``NN-STAGE-fromSTEP.jsonl`` (stage runner) or ``hook-fromSTEP.jsonl`` (hook mode),
one ``{"step": N, "data": {metric: value}}`` line per step. The PTST trainer adds the stage index, ``n`` and the
response-length limit to each step (``ptst/*``); logs without them take the stage from the file name.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.core.rows import BadRow, read_jsonl

# verl 0.9.1 metric names: the reward function's score, the response length, the truncation rate, the PPO clip rate.
METRICS = {
    "reward": "critic/score/mean",
    "response_length": "response_length/mean",
    "truncated": "response_length/clip_ratio",
    "pg_clipfrac": "actor/pg_clipfrac",
}
_FILE = re.compile(r"(\d+)-(.+)-from(\d+)\.jsonl$")
_HOOK_FILE = re.compile(r"hook-from(\d+)\.jsonl$")
STAGE_INDEX = "ptst/stage_index"
ROLLOUT_N = "ptst/rollout_n"
# ptst metrics --json: output field -> verl metric
STEP_FIELDS = {
    "response_length_max": "response_length/max",
    "response_length_mean": "response_length/mean",
    "score_mean": "critic/score/mean",
    "clip_ratio": "response_length/clip_ratio",
    "advantages_max": "critic/advantages/max",
    "advantages_min": "critic/advantages/min",
    "grad_norm": "actor/grad_norm",
    "step_seconds": "timing_s/step",
    # Adaptive stages (a stage with a switch rule): the step's signal value, and 1.0 on the step that ended it.
    "switch_signal": "ptst/switch_signal",
    "switched": "ptst/switched",
}


@dataclass
class StageMetrics:
    """One stage's training curves from verl's file logger: its steps and a series per metric (``METRICS``)."""

    index: int
    name: str
    steps: list[int] = field(default_factory=list)
    series: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in METRICS})

    def mean(self, name: str) -> float | None:
        values = self.series[name]
        return statistics.fmean(values) if values else None


@dataclass(frozen=True)
class StepRecord:
    step: int
    stage_index: int
    data: dict[str, float]


def read_steps(metrics_dir: str | Path) -> list[StepRecord]:
    """One record per training step, in step order; a step logged by several attempts (a crash, then a resume)
    keeps the latest attempt's record."""
    by_step: dict[int, StepRecord] = {}
    files = sorted(Path(metrics_dir).glob("*.jsonl"), key=_attempt_order)
    for path in files:
        file_stage = _key(path)[0]
        # One file per attempt: a kill cuts off only its last line, which read_jsonl's own-file rule ignores.
        for number, record in read_jsonl(path, own_file=True):
            if (
                isinstance(record, BadRow)
                or not isinstance(record.get("step"), int)
                or not isinstance(data := record.get("data"), dict)
            ):
                raise UsageError(f"{path}:{number}: not a verl file-logger line ({{'step': N, 'data': {{...}}}})")
            step = record["step"]
            if METRICS["reward"] not in data:  # validation-only lines carry no training metrics
                continue
            stage = int(data[STAGE_INDEX]) if STAGE_INDEX in data else file_stage
            by_step[step] = StepRecord(step, stage, data)
    return [by_step[step] for step in sorted(by_step)]


def read_metrics(metrics_dir: str | Path, stage_names: list[str] | None = None) -> list[StageMetrics]:
    """Stages in order, with their steps' series. ``stage_names`` names stages by index (a hook-mode log
    carries only the index)."""
    names = dict(enumerate(stage_names or []))
    for path in Path(metrics_dir).glob("*.jsonl"):
        index, name, _ = _key(path)
        if _FILE.search(path.name):
            names.setdefault(index, name)
    stages: dict[int, StageMetrics] = {}
    for record in read_steps(metrics_dir):
        index = record.stage_index
        stage = stages.setdefault(index, StageMetrics(index, names.get(index, f"stage{index + 1}")))
        stage.steps.append(record.step)
        for name, key in METRICS.items():
            if key in record.data:
                stage.series[name].append(float(record.data[key]))
    return [stages[index] for index in sorted(stages)]


def reward_gain(records: list[StepRecord], window: int = 3) -> tuple[float, float, float]:
    """The mean training reward of the first ``window`` steps, of the last ``window``, and the difference: the
    learning check (a run whose reward does not rise did not learn from it)."""
    rewards = [float(record.data[METRICS["reward"]]) for record in records]
    if len(rewards) < 2 * window:
        raise UsageError(f"the learning check needs at least {2 * window} logged steps, got {len(rewards)}")
    first, last = statistics.fmean(rewards[:window]), statistics.fmean(rewards[-window:])
    return first, last, last - first


def step_rows(records: list[StepRecord], stage_names: list[str], stage_n: list[int]) -> list[dict[str, object]]:
    """``ptst metrics --json``: one object per step. ``rollout_n`` is what the trainer logged; a log from
    verl's stock trainer has none, and then the schedule's value is given with ``rollout_n_source: schedule``."""
    rows = []
    for record in records:
        index = record.stage_index
        row: dict[str, object] = {
            "step": record.step,
            "stage": stage_names[index] if index < len(stage_names) else f"stage{index + 1}",
            "stage_index": index,
        }
        if ROLLOUT_N in record.data:
            row["rollout_n"], row["rollout_n_source"] = int(record.data[ROLLOUT_N]), "trainer"
        else:
            row["rollout_n"] = stage_n[index] if index < len(stage_n) else None
            row["rollout_n_source"] = "schedule"
        for field_name, key in STEP_FIELDS.items():
            row[field_name] = record.data.get(key)
        rows.append(row)
    return rows


def _attempt_order(path: Path) -> tuple[int, int, float]:
    hook = _HOOK_FILE.search(path.name)
    if hook:
        return (0, int(hook.group(1)), path.stat().st_mtime)
    index, _, start = _key(path)
    return (index, start, path.stat().st_mtime)


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
