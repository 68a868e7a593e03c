"""PTST on CPU: the trainer hook (one verl run) against the stage runner (one verl run per stage), with the
project's ``hf`` rollout and with verl's own vLLM rollout.

    .venv-rl/bin/python benchmarks/ptst_bench.py [--steps 3] [--rollout hf --rollout vllm]

Every run is the same two-stage schedule (16 tokens x 4 rollouts, then 32 x 2; batch 2) on the sample problems with
``--cpu``, and the tiny Qwen2.5-VL with 32-wide attention heads (vLLM's CPU attention takes no less; both rollouts get
the same model). ``vllm`` needs the RL environment (``make setup-rl``); in ``.venv`` only ``hf`` runs. Per-step time
is verl's ``timing_s/step`` (rollout, reward, log-probs, update, weight sync); "wall" is the whole command; peak
memory is the largest summed PSS of the command's process tree (Ray, verl workers and vLLM engines included),
sampled every 0.5 s. The restart saved per stage boundary is the stage runner's wall time minus the hook's; it
includes the stage runner's up-front check of every stage (one Hydra composition, a few seconds), which the hook
mode leaves to its one verl process.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from vision_r1_plugins.core.resources import sample_problems
from vision_r1_plugins.ptst.metrics import read_steps
from vision_r1_plugins.testing.schedules import CPU_STAGES, write_cpu_schedule
from vision_r1_plugins.testing.tiny import build_tiny_qwen2_5_vl
from vision_r1_plugins.verl.rl_data import RLDataConfig, convert_rl_data

MODES = ("hook", "stages")


def tree_pss(process: psutil.Process) -> int:
    """Proportional set size summed over the process tree: shared pages (torch, the model) counted once."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):  # a process that exited between listing and reading
            total += member.memory_full_info().pss
    return total


def run(path: Path, mode: str, rollout: str) -> tuple[float, int]:
    start = time.perf_counter()
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vision_r1_plugins.cli",
            "ptst",
            "run",
            str(path),
            "--cpu",
            "--rollout",
            rollout,
            "--mode",
            mode,
            "--timeout",
            "900",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    watched, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        peak = max(peak, tree_pss(watched))
        time.sleep(0.5)
    if child.returncode:
        raise SystemExit(f"{rollout} {mode} run failed with exit code {child.returncode}")
    return time.perf_counter() - start, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="steps per stage")
    parser.add_argument("--rollout", action="append", choices=["hf", "vllm"], help="repeatable; default: both")
    args = parser.parse_args()
    rollouts = args.rollout or ["hf", "vllm"]
    if "vllm" in rollouts and importlib.util.find_spec("vllm") is None:
        raise SystemExit(
            "vLLM is not installed here: run this from the RL environment (make setup-rl; "
            ".venv-rl/bin/python benchmarks/ptst_bench.py) or pass --rollout hf"
        )
    stages = [{**stage, "steps": args.steps} for stage in CPU_STAGES]
    rows = []
    with tempfile.TemporaryDirectory(prefix="ptst-bench-") as folder:
        root = Path(folder)
        model = build_tiny_qwen2_5_vl(root / "tiny", seed=0, head_dim=32)
        data = convert_rl_data(
            RLDataConfig(sample_problems(), root / "rl" / "train", model=model, max_prompt_length=512)
        ).outputs["train"]
        for rollout in rollouts:
            for mode in MODES:
                run_dir = root / f"{rollout}-{mode}"
                path = write_cpu_schedule(run_dir, model, data, stages, name=f"bench-{rollout}-{mode}")
                wall, peak = run(path, mode, rollout)
                steps = read_steps(run_dir / "checkpoints" / "metrics")
                times = [record.data["timing_s/step"] for record in steps]
                rows.append((rollout, mode, len(steps), wall, statistics.median(times), max(times), peak))
    print(
        f"{'rollout':8} {'mode':8} {'steps':>5} {'wall s':>7} {'step s (median)':>16} {'step s (max)':>13} "
        f"{'peak PSS GB':>12}"
    )
    for rollout, mode, count, wall, median, slowest, peak in rows:
        print(f"{rollout:8} {mode:8} {count:5d} {wall:7.1f} {median:16.2f} {slowest:13.2f} {peak / 2**30:12.2f}")
    walls = {(rollout, mode): wall for rollout, mode, _, wall, *_ in rows}
    for rollout in rollouts:
        saved = walls[(rollout, "stages")] - walls[(rollout, "hook")]
        print(f"{rollout}: restart saved per stage boundary: {saved:.1f} s (1 boundary)")
    print(json.dumps({f"{rollout}_{mode}_wall_s": round(wall, 1) for (rollout, mode), wall in walls.items()}))


if __name__ == "__main__":
    main()
