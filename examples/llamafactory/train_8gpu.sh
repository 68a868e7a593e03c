#!/usr/bin/env bash
# Vision-R1 cold-start SFT on one node of 8 GPUs. It runs in the repository root (in a copy made by
# `vision-r1 recipes copy NAME DIR`, in DIR), so the recipe's relative paths and output_dir (saves/...) resolve
# there. CONFIG picks another recipe; arguments are LLaMA-Factory overrides (dataset_dir=/data/vision_r1_cold).
set -euo pipefail
cd "$(dirname "$0")/../.."
CONFIG=${CONFIG:-examples/llamafactory/vision_r1_cold_start_8gpu.yaml}
export FORCE_TORCHRUN=1 NNODES=1 NPROC_PER_NODE=${NPROC_PER_NODE:-8}
exec vision-r1 sft "$CONFIG" "$@"
