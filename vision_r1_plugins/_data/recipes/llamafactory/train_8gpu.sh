#!/usr/bin/env bash
# Vision-R1 cold-start SFT on one node of 8 GPUs, from a copy of the recipes (vision-r1 recipes copy DIR).
# It runs in DIR because the recipe's deepspeed path is relative to it.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${CONFIG:-llamafactory/vision_r1_cold_start_8gpu.yaml}
export FORCE_TORCHRUN=1 NNODES=1 NPROC_PER_NODE=${NPROC_PER_NODE:-8}
exec vision-r1 sft "$CONFIG" "$@"
