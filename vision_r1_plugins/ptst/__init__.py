"""Progressive Thinking Suppression Training: staged GRPO on verl (``vision-r1 ptst plan|run|metrics``).

A schedule file (``examples/verl/schedules/``) names the stages (response length, rollouts per prompt, steps)
and the verl overrides they share. From it:

- :func:`load_schedule` reads and checks one; :func:`with_overrides` adds verl overrides (``--set``);
- :func:`plan_hook` (one verl run, the trainer switches stages; the default) and :func:`plan` (one verl run per
  stage) give the verl command lines without running anything;
- :func:`run_hook` and :func:`run` start verl and resume from the newest checkpoint after a crash;
- :func:`read_metrics` reads the per-stage training curves those runs log; :func:`plot_metrics` draws them.

>>> from vision_r1_plugins.ptst import load_schedule, plan_hook
>>> schedule = load_schedule("examples/verl/schedules/vision_r1_ptst_8gpu.yaml")  # doctest: +SKIP
>>> print(plan_hook(schedule).command)  # doctest: +SKIP
/usr/bin/python -m vision_r1_plugins.ptst.main \\
    algorithm.adv_estimator=grpo \\
    ...

Importing this package does not import verl, Ray or torch: runs are separate ``python -m
vision_r1_plugins.ptst.main`` processes.
"""

from vision_r1_plugins.ptst.metrics import StageMetrics, plot_metrics, read_metrics
from vision_r1_plugins.ptst.runner import (
    HookPlan,
    StageFailed,
    StageOutcome,
    StagePlan,
    plan,
    plan_hook,
    run,
    run_hook,
)
from vision_r1_plugins.ptst.schedule import Schedule, ScheduleError, Stage, load_schedule, with_overrides

__all__ = [
    "HookPlan",
    "Schedule",
    "ScheduleError",
    "Stage",
    "StageFailed",
    "StageMetrics",
    "StageOutcome",
    "StagePlan",
    "load_schedule",
    "plan",
    "plan_hook",
    "plot_metrics",
    "read_metrics",
    "run",
    "run_hook",
    "with_overrides",
]
