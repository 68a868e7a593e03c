"""Run a PTST schedule as one verl run per stage: ``vision-r1 ptst plan|run``.

Why one process per stage: verl 0.9.1 fixes the rollout engine's maximum length when it starts and offers no
public hook to change ``n`` or the response length mid-run, so each stage is ``python -m verl.trainer.main_ppo``
with its own overrides, resuming from the previous stage's last checkpoint (verl restores the weights, the
optimizer, the LR schedule and the dataloader, and ``global_steps`` continues, hence the cumulative step counts).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.errors import RunError
from vision_r1_plugins.ptst.schedule import Schedule, Stage, checkpoint_path, format_override

DEFAULT_ENTRY: tuple[str, ...] = (sys.executable, "-m", "verl.trainer.main_ppo")
_STEP_DIR = re.compile(r"global_step_(\d+)$")


class MissingCheckpoint(RunError, FileNotFoundError):
    """A stage must resume from a checkpoint that is not there."""


class StageFailed(RunError):
    def __init__(self, stage: Stage, returncode: int, tail: list[str]) -> None:
        lines = "\n".join(tail)
        super().__init__(f"stage {stage.name} failed with exit code {returncode}; last output:\n{lines}")
        self.stage = stage
        self.returncode = returncode


@dataclass(frozen=True)
class StagePlan:
    index: int
    stage: Stage
    start_step: int
    end_step: int
    resume_from: str | None
    overrides: dict[str, Any]
    entry: tuple[str, ...]

    @property
    def argv(self) -> list[str]:
        return [*self.entry, *(format_override(key, value) for key, value in self.overrides.items())]

    @property
    def command(self) -> str:
        """The program on the first line, then one override per line, shell-quoted."""
        import shlex

        lines = [" ".join(shlex.quote(part) for part in self.entry)]
        lines += [shlex.quote(format_override(key, value)) for key, value in self.overrides.items()]
        return " \\\n    ".join(lines)


def completed_steps(checkpoint_dir: str | Path) -> int:
    """The newest checkpointed global step (verl's ``latest_checkpointed_iteration.txt``, else the folders)."""
    root = Path(checkpoint_dir)
    marker = root / "latest_checkpointed_iteration.txt"
    steps = [int(match.group(1)) for path in root.glob("global_step_*") if (match := _STEP_DIR.search(path.name))]
    if marker.is_file():
        with contextlib.suppress(ValueError):
            steps.append(int(marker.read_text().strip()))
    return max(steps, default=0)


def metrics_dir(schedule: Schedule) -> Path:
    return Path(schedule.checkpoint_dir) / "metrics"


def plan_stage(
    schedule: Schedule, index: int, entry: Sequence[str] = DEFAULT_ENTRY, done: int = 0,
    extra: dict[str, Any] | None = None,
) -> StagePlan:  # fmt: skip
    """The command for stage ``index`` given ``done`` checkpointed steps: it resumes from the newest checkpoint
    inside the stage (a crash) or else from the previous stage's last one. ``extra`` overrides win."""
    start, end = schedule.start_step(index), schedule.end_step(index)
    resume_step = done if start < done < end else start
    resume_from = str(checkpoint_path(schedule.checkpoint_dir, resume_step)) if resume_step else None
    overrides = {**schedule.stage_overrides(index, resume_from), **(extra or {})}
    return StagePlan(index, schedule.stages[index], start, end, resume_from, overrides, tuple(entry))


def plan(
    schedule: Schedule, entry: Sequence[str] = DEFAULT_ENTRY, extra: dict[str, Any] | None = None
) -> list[StagePlan]:
    """Every stage's command for a fresh run."""
    return [plan_stage(schedule, index, entry, extra=extra) for index in range(len(schedule.stages))]


def dry_run(schedule: Schedule, extra: dict[str, Any] | None = None) -> list[tuple[StagePlan, Any]]:
    """Compose and validate every stage's full verl config (see :mod:`vision_r1_plugins.ptst.dry_run`)."""
    from vision_r1_plugins.ptst.dry_run import DryRunError, dry_run_stage

    results = []
    for stage_plan in plan(schedule, extra=extra):
        try:
            results.append((stage_plan, dry_run_stage(stage_plan.overrides)))
        except DryRunError as error:
            raise DryRunError(f"stage {stage_plan.stage.name}: {error}") from error
    return results


@dataclass
class StageOutcome:
    plan: StagePlan
    skipped: bool


def run(
    schedule: Schedule,
    entry: Sequence[str] = DEFAULT_ENTRY,
    on_stage: Callable[[StagePlan, str], None] | None = None,
    on_line: Callable[[str], None] | None = None,
    extra: dict[str, Any] | None = None,
) -> list[StageOutcome]:
    """Run the stages in order. A stage whose final checkpoint exists is skipped; a stage that crashed resumes
    from its newest checkpoint; a failing stage stops the run with its exit code and last output lines."""
    outcomes = []
    for index in range(len(schedule.stages)):
        done = completed_steps(schedule.checkpoint_dir)
        stage_plan = plan_stage(schedule, index, entry, done, extra)
        if done >= stage_plan.end_step and checkpoint_path(schedule.checkpoint_dir, stage_plan.end_step).exists():
            outcomes.append(StageOutcome(stage_plan, skipped=True))
            if on_stage:
                on_stage(stage_plan, "skipped")
            continue
        if stage_plan.resume_from and not Path(stage_plan.resume_from).exists():
            raise MissingCheckpoint(f"stage {stage_plan.stage.name} must resume from {stage_plan.resume_from}, "
                                    "which does not exist; did the previous stage save its last step?")  # fmt: skip
        if on_stage:
            on_stage(stage_plan, "resuming" if stage_plan.resume_from and done > stage_plan.start_step else "starting")
        tail: deque[str] = deque(maxlen=40)
        # verl's file logger truncates its file on start: one file per stage attempt keeps every step.
        log_dir = metrics_dir(schedule)
        log_dir.mkdir(parents=True, exist_ok=True)
        attempt_start = max(done, stage_plan.start_step)
        env = {**os.environ, "VERL_FILE_LOGGER_PATH": str((log_dir / f"{index:02d}-{stage_plan.stage.name}-from"
                                                               f"{attempt_start}.jsonl").resolve())}  # fmt: skip
        with subprocess.Popen(stage_plan.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              bufsize=1, env=env) as process:  # fmt: skip
            assert process.stdout is not None
            for line in process.stdout:
                tail.append(line.rstrip("\n"))
                if on_line:
                    on_line(line.rstrip("\n"))
            returncode = process.wait()
        if returncode != 0:
            raise StageFailed(stage_plan.stage, returncode, list(tail))
        final = checkpoint_path(schedule.checkpoint_dir, stage_plan.end_step)
        if not final.exists():
            raise StageFailed(stage_plan.stage, 0, [*tail, f"(finished, but {final} was not written)"])
        outcomes.append(StageOutcome(stage_plan, skipped=False))
        if on_stage:
            on_stage(stage_plan, "finished")
    return outcomes
