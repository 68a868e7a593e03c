#!/usr/bin/env bash
# From a copy of the recipes (vision-r1 recipes copy DIR), after editing the /path/to placeholders.
set -euo pipefail
cd "$(dirname "$0")/.."
vision-r1 ptst plan verl/vision_r1_long_8gpu.yaml
exec vision-r1 ptst run verl/vision_r1_long_8gpu.yaml "$@"
