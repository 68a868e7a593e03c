#!/usr/bin/env bash
# From a copy (vision-r1 recipes copy NAME DIR), after editing the /path/to placeholders. It runs in the copy's
# folder, so the schedule's relative paths (checkpoint_dir) resolve there; arguments go to `ptst run` (--set ...).
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${CONFIG:-verl/vision_r1_ptst_8gpu.yaml}
vision-r1 ptst plan "$CONFIG"
exec vision-r1 ptst run "$CONFIG" "$@"
