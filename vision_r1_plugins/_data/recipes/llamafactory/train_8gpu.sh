#!/usr/bin/env bash
# Vision-R1 cold-start SFT on one node of 8 GPUs, from a copy (vision-r1 recipes copy NAME DIR). It runs in the
# copy's folder, so the recipe's output_dir (saves/...) lands there. CONFIG picks another recipe (relative to that
# folder); arguments are LLaMA-Factory overrides (dataset_dir=/data/vision_r1_cold_clean).
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${CONFIG:-llamafactory/vision_r1_cold_start_8gpu.yaml}
export FORCE_TORCHRUN=1 NNODES=1 NPROC_PER_NODE=${NPROC_PER_NODE:-8}
exec vision-r1 sft "$CONFIG" "$@"
