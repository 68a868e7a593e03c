"""Read a PTST schedule and print the verl command(s) it would run, without starting anything.

python examples/python/ptst_plan.py [examples/verl/schedules/vision_r1_ptst_8gpu.yaml]
"""

from __future__ import annotations

import sys

from vision_r1_plugins.ptst import load_schedule, plan, plan_hook, with_overrides

schedule = load_schedule(sys.argv[1] if len(sys.argv) > 1 else "examples/verl/schedules/vision_r1_ptst_8gpu.yaml")
schedule, notes = with_overrides(schedule, {"trainer.project_name": "my-project"})  # what --set does
for stage in schedule.stages:
    print(f"{stage.name}: responses up to {stage.max_response_length} tokens, {stage.rollout_n} per prompt")

print("\n# hook mode (the default): one verl run, the trainer switches stages")
print(plan_hook(schedule).command)
print("\n# stages mode: one verl run per stage, each resuming from the previous stage's checkpoint")
for stage_plan in plan(schedule):
    print(f"# {stage_plan.stage.name}: global steps {stage_plan.start_step + 1}-{stage_plan.end_step}")
