#!/usr/bin/env bash
# Run from the repo root after editing the /path/to placeholders in the schedule.
set -euo pipefail
vision-r1 ptst plan examples/verl/vision_r1_ptst_8gpu.yaml
exec vision-r1 ptst run examples/verl/vision_r1_ptst_8gpu.yaml "$@"
