"""Run a PTST schedule with verl: ``vision-r1 ptst plan|run``, in one of two modes.

- ``hook`` (default): one verl run for every stage; :class:`vision_r1_plugins.ptst.hook.PTSTTrainer` switches
  ``n`` and the response length at the stage boundaries. One LR schedule, one engine sized for the longest stage.
- ``stages``: one verl run per stage, each resuming from the previous stage's last checkpoint (verl restores the
  weights, the optimizer, the LR schedule and the dataloader; ``global_steps`` continues, hence the cumulative
  step counts). Each stage gets its own engine size and per-stage overrides, at the cost of a restart.

Both run ``python -m vision_r1_plugins.ptst.main`` (verl's ``main_ppo`` with the PTST trainer), so both log the
stage, ``n`` and the response length with every step.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.errors import RunError
from vision_r1_plugins.ptst.adaptive import load_state
from vision_r1_plugins.ptst.metrics import read_steps
from vision_r1_plugins.ptst.schedule import Schedule, Stage, checkpoint_path, format_override

DEFAULT_ENTRY: tuple[str, ...] = (sys.executable, "-m", "vision_r1_plugins.ptst.main")
MODES = ("hook", "stages")
_STEP_DIR = re.compile(r"global_step_(\d+)$")


class MissingCheckpoint(RunError, FileNotFoundError):
    """A stage must resume from a checkpoint that is not there."""


class StageFailed(RunError):
    """A verl process exited non-zero or timed out: the stage (None in hook mode), the exit code, whether it
    timed out, the last step it logged and its last output lines."""

    def __init__(
        self,
        stage: Stage | None,
        returncode: int,
        tail: list[str],
        timed_out: float | None = None,
        last_step: int | None = None,
    ) -> None:
        lines = "\n".join(tail)
        what = f"stage {stage.name}" if stage is not None else "the PTST run"
        if timed_out is None:
            message = f"{what} failed with exit code {returncode}; last output:\n{lines}"
        else:
            where = f"after global step {last_step}" if last_step else "before its first training step ended"
            message = (
                f"{what} did not finish within {timed_out:.0f} s (--timeout) and was killed {where}; "
                f"last output:\n{lines}"
            )
        super().__init__(message)
        self.stage = stage
        self.returncode = returncode
        self.timed_out = timed_out is not None
        self.last_step = last_step


class VerlCommand:
    """A verl command line: the program (``entry``) and its Hydra overrides."""

    entry: tuple[str, ...]
    overrides: dict[str, Any]

    @property
    def argv(self) -> list[str]:
        return [*self.entry, *(format_override(key, value) for key, value in self.overrides.items())]

    @property
    def command(self) -> str:
        """The program on the first line, then one override per line, shell-quoted."""
        lines = [" ".join(shlex.quote(part) for part in self.entry)]
        lines += [shlex.quote(format_override(key, value)) for key, value in self.overrides.items()]
        return " \\\n    ".join(lines)


@dataclass(frozen=True)
class StagePlan(VerlCommand):
    """One stage's verl command (stages mode): global steps ``start_step + 1 .. end_step``, the checkpoint it
    resumes from and its overrides; ``argv`` to run, ``command`` to print."""

    index: int
    stage: Stage
    start_step: int
    end_step: int
    resume_from: str | None
    overrides: dict[str, Any]
    entry: tuple[str, ...]


def completed_steps(checkpoint_dir: str | Path) -> int:
    """The newest checkpointed global step (verl's ``latest_checkpointed_iteration.txt``, else the folders)."""
    root = Path(checkpoint_dir)
    marker = root / "latest_checkpointed_iteration.txt"
    steps = [int(match.group(1)) for path in root.glob("global_step_*") if (match := _STEP_DIR.search(path.name))]
    if marker.is_file():
        with contextlib.suppress(ValueError):
            steps.append(int(marker.read_text().strip()))
    return max(steps, default=0)


def planned_total(schedule: Schedule) -> int:
    """The global step the hook-mode run ends at: the schedule's total, or less once an adaptive stage ended early
    (the newest checkpoint's saved switch state says so)."""
    newest = completed_steps(schedule.checkpoint_dir)
    saved = load_state(checkpoint_path(schedule.checkpoint_dir, newest)) if newest else None
    if saved is None or saved[1] is None:
        return schedule.total_steps
    return min(schedule.total_steps, saved[1])


def metrics_dir(schedule: Schedule) -> Path:
    return Path(schedule.checkpoint_dir) / "metrics"


def plan_stage(
    schedule: Schedule,
    index: int,
    entry: Sequence[str] = DEFAULT_ENTRY,
    done: int = 0,
    extra: dict[str, Any] | None = None,
) -> StagePlan:
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


def dry_run(schedule: Schedule, extra: dict[str, Any] | None = None, mode: str = "stages") -> list[tuple[str, Any]]:
    """Compose and validate the full verl config of every process the run would start (see
    :mod:`vision_r1_plugins.ptst.dry_run`): one per stage, or the hook mode's one. Pairs (label, result)."""
    from vision_r1_plugins.ptst.dry_run import DryRunError, dry_run_stage

    if mode == "hook":
        try:
            return [("hook (all stages)", dry_run_stage(plan_hook(schedule, extra=extra).overrides))]
        except DryRunError as error:
            raise DryRunError(f"hook mode: {error}") from error
    results = []
    for stage_plan in plan(schedule, extra=extra):
        try:
            results.append((stage_plan.stage.name, dry_run_stage(stage_plan.overrides)))
        except DryRunError as error:
            raise DryRunError(f"stage {stage_plan.stage.name}: {error}") from error
    return results


@dataclass(frozen=True)
class HookPlan(VerlCommand):
    """The one verl command of the hook mode."""

    start_step: int
    overrides: dict[str, Any]
    entry: tuple[str, ...]


def plan_hook(
    schedule: Schedule, entry: Sequence[str] = DEFAULT_ENTRY, extra: dict[str, Any] | None = None, done: int = 0
) -> HookPlan:
    """The one verl command of the hook mode (every stage in one run; the trainer switches stages).

    >>> print(plan_hook(load_schedule("schedule.yaml")).command)  # doctest: +SKIP
    """
    return HookPlan(done, {**schedule.hook_overrides(), **(extra or {})}, tuple(entry))


def _kill_tree(process: subprocess.Popen[str]) -> None:
    """SIGKILL ``process`` and every process under it: verl's Ray cluster (GCS, raylet, workers, vLLM engines)
    are its descendants. (Not a process group of its own: a user's kill of this command's group must still reach
    verl, as it did before.)"""
    import psutil

    with contextlib.suppress(psutil.Error):
        tree = psutil.Process(process.pid)
        members = [*tree.children(recursive=True), tree]
        for member in members:
            with contextlib.suppress(psutil.Error):
                member.send_signal(signal.SIGKILL)


def _stream(
    argv: list[str], env: dict[str, str], on_line: Callable[[str], None] | None, timeout: float | None = None
) -> tuple[int, list[str], bool]:
    """Run ``argv``, passing each output line on. Past ``timeout`` seconds it is killed with everything it started
    (a weight sync that fails inside a Ray worker can leave verl waiting forever); so is it when this process is
    interrupted. Returns the exit code, the last lines and whether it timed out."""
    tail: deque[str] = deque(maxlen=40)
    expired = threading.Event()
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1, env=env
    ) as process:
        timer = None
        if timeout is not None:
            timer = threading.Timer(timeout, lambda: (expired.set(), _kill_tree(process)))
            timer.daemon = True
            timer.start()
        try:
            assert process.stdout is not None
            for line in process.stdout:
                tail.append(line.rstrip("\n"))
                if on_line:
                    on_line(line.rstrip("\n"))
            returncode = process.wait()
        except BaseException:
            _kill_tree(process)
            raise
        finally:
            if timer is not None:
                timer.cancel()
        return returncode, list(tail), expired.is_set()


def _check(stage: Stage | None, result: tuple[int, list[str], bool], log: str, timeout: float | None) -> None:
    returncode, tail, timed_out = result
    if timed_out:
        logged = read_steps(Path(log).parent)  # the newest step verl's file logger wrote: where the run stopped
        raise StageFailed(stage, returncode, tail, timed_out=timeout, last_step=logged[-1].step if logged else None)
    if returncode != 0:
        raise StageFailed(stage, returncode, tail)


def _log_env(schedule: Schedule, file_name: str, env: Mapping[str, str] | None) -> dict[str, str]:
    # verl's file logger truncates its file on start: one file per attempt keeps every step.
    log_dir = metrics_dir(schedule)
    log_dir.mkdir(parents=True, exist_ok=True)
    return {**os.environ, **(env or {}), "VERL_FILE_LOGGER_PATH": str((log_dir / file_name).resolve())}


def run_hook(
    schedule: Schedule,
    entry: Sequence[str] = DEFAULT_ENTRY,
    on_start: Callable[[HookPlan, str], None] | None = None,
    on_line: Callable[[str], None] | None = None,
    extra: dict[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> HookPlan | None:
    """Run every stage in one verl process; verl resumes from the newest checkpoint (``resume_mode=auto``).
    Returns None when the schedule's last checkpoint already exists. ``timeout``: seconds before the run is
    killed (:class:`StageFailed` names the last step it logged)."""
    done = completed_steps(schedule.checkpoint_dir)
    total = planned_total(schedule)
    if done >= total and checkpoint_path(schedule.checkpoint_dir, total).exists():
        return None
    hook_plan = plan_hook(schedule, entry, extra, done)
    if on_start:
        on_start(hook_plan, "resuming" if done else "starting")
    run_env = _log_env(schedule, f"hook-from{done}.jsonl", env)
    result = _stream(hook_plan.argv, run_env, on_line, timeout)
    _check(None, result, run_env["VERL_FILE_LOGGER_PATH"], timeout)
    tail = result[1]
    final = checkpoint_path(schedule.checkpoint_dir, planned_total(schedule))
    if not final.exists():
        raise StageFailed(None, 0, [*tail, f"(finished, but {final} was not written)"])
    return hook_plan


@dataclass
class StageOutcome:
    """One stage of :func:`run`: its plan and whether it was skipped (its last checkpoint already existed)."""

    plan: StagePlan
    skipped: bool


def run(
    schedule: Schedule,
    entry: Sequence[str] = DEFAULT_ENTRY,
    on_stage: Callable[[StagePlan, str], None] | None = None,
    on_line: Callable[[str], None] | None = None,
    extra: dict[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> list[StageOutcome]:
    """Run the stages in order. A stage whose final checkpoint exists is skipped; a stage that crashed resumes
    from its newest checkpoint; a failing stage stops the run with its exit code and last output lines.
    ``timeout`` bounds each stage's process."""
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
            raise MissingCheckpoint(
                f"stage {stage_plan.stage.name} must resume from {stage_plan.resume_from}, "
                "which does not exist; did the previous stage save its last step?"
            )
        if on_stage:
            on_stage(stage_plan, "resuming" if stage_plan.resume_from and done > stage_plan.start_step else "starting")
        attempt_start = max(done, stage_plan.start_step)
        log_env = _log_env(schedule, f"{index:02d}-{stage_plan.stage.name}-from{attempt_start}.jsonl", env)
        result = _stream(stage_plan.argv, log_env, on_line, timeout)
        _check(stage_plan.stage, result, log_env["VERL_FILE_LOGGER_PATH"], timeout)
        tail = result[1]
        final = checkpoint_path(schedule.checkpoint_dir, stage_plan.end_step)
        if not final.exists():
            raise StageFailed(stage_plan.stage, 0, [*tail, f"(finished, but {final} was not written)"])
        outcomes.append(StageOutcome(stage_plan, skipped=False))
        if on_stage:
            on_stage(stage_plan, "finished")
    return outcomes
