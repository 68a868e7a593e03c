#!/usr/bin/env bash
# Vision-R1 cold-start SFT on 4 nodes x 8 GPUs, from a checkout (or a `vision-r1 recipes copy NAME DIR`) on a shared
# filesystem. Run on every node with NODE_RANK (0..3) and MASTER_ADDR (node 0). It runs in the repository root (in
# a copy, in DIR), so the recipe's output_dir (saves/...) lands there; arguments are LLaMA-Factory overrides.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${NODE_RANK:?set NODE_RANK to this node's index, 0..3}"
: "${MASTER_ADDR:?set MASTER_ADDR to node 0's address}"
CONFIG=${CONFIG:-examples/llamafactory/vision_r1_cold_start_32gpu.yaml}
export FORCE_TORCHRUN=1 NNODES=4 NPROC_PER_NODE=${NPROC_PER_NODE:-8} MASTER_PORT=${MASTER_PORT:-29500}
exec vision-r1 sft "$CONFIG" "$@"
