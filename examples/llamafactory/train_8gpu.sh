#!/usr/bin/env bash
# Vision-R1 cold-start SFT on one node of 8 GPUs. Run from the repo root (the recipe's deepspeed path is relative).
set -euo pipefail
CONFIG=${CONFIG:-examples/llamafactory/vision_r1_cold_start_8gpu.yaml}
export FORCE_TORCHRUN=1 NNODES=1 NPROC_PER_NODE=${NPROC_PER_NODE:-8}
exec vision-r1 sft "$CONFIG" "$@"
