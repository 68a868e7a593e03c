#!/usr/bin/env bash
# Vision-R1 (GRPO with PTST) through `vision-r1 ptst`, from schedules/vision_r1_ptst_8gpu.yaml: edit its /path/to
# placeholders first, or pass --set KEY=VALUE. It runs in the repository root (in a copy made by
# `vision-r1 recipes copy NAME DIR`, in DIR), so the schedule's checkpoint_dir resolves there; arguments go to
# `ptst run`.
set -euo pipefail
cd "$(dirname "$0")/../.."
CONFIG=${CONFIG:-examples/verl/schedules/vision_r1_ptst_8gpu.yaml}
vision-r1 ptst plan "$CONFIG"
exec vision-r1 ptst run "$CONFIG" "$@"
