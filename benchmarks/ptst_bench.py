"""PTST on CPU: the trainer hook (one verl run) against the stage runner (one verl run per stage).

    .venv/bin/python benchmarks/ptst_bench.py [--steps 3]

Both modes run the same two-stage schedule (16 tokens x 4 rollouts, then 32 x 2; batch 2) with the tiny
Qwen2.5-VL, the sample problems and ``--cpu``. Per-step time is verl's ``timing_s/step`` (rollout, reward,
log-probs, update, weight sync); "wall" is the whole command; peak memory is the largest summed PSS of the command's
process tree (Ray and verl workers included), sampled every 0.5 s. The restart saved per stage boundary is the
stage runner's wall time minus the hook's; it includes the stage runner's up-front check of every stage (one
Hydra composition, a few seconds), which the hook mode leaves to its one verl process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

from vision_r1_plugins.core.resources import sample_problems
from vision_r1_plugins.ptst.metrics import read_steps
from vision_r1_plugins.testing.tiny import build_tiny_qwen2_5_vl
from vision_r1_plugins.verl.rl_data import RLDataConfig, convert_rl_data


def schedule(root: Path, model: Path, data: Path, steps: int, mode: str) -> Path:
    path = root / f"{mode}.yaml"
    path.write_text(yaml.safe_dump({
        "name": f"bench-{mode}", "checkpoint_dir": str(root / f"ckpt-{mode}"), "allow_budget_change": True,
        "stages": [{"name": "short_many", "max_response_length": 16, "rollout_n": 4, "steps": steps},
                   {"name": "long_few", "max_response_length": 32, "rollout_n": 2, "steps": steps}],
        "verl": {"algorithm.adv_estimator": "grpo", "data.train_files": str(data), "data.val_files": str(data),
                 "data.max_prompt_length": 512, "data.train_batch_size": 2,
                 "actor_rollout_ref.model.path": str(model), "actor_rollout_ref.actor.ppo_mini_batch_size": 2,
                 "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu": 4,
                 "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu": 4,
                 "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu": 4,
                 "actor_rollout_ref.actor.use_kl_loss": True, "trainer.logger": ["console", "file"],
                 "trainer.test_freq": -1, "trainer.val_before_train": False},
    }))  # fmt: skip
    return path


def tree_pss(process: psutil.Process) -> int:
    """Proportional set size summed over the process tree: shared pages (torch, the model) counted once."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):  # a process that exited between listing and reading
            total += member.memory_full_info().pss
    return total


def run(path: Path, mode: str) -> tuple[float, int]:
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "vision_r1_plugins.cli", "ptst", "run", str(path), "--cpu",
                              "--mode", mode], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    watched, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        peak = max(peak, tree_pss(watched))
        time.sleep(0.5)
    if child.returncode:
        raise SystemExit(f"{mode} run failed with exit code {child.returncode}")
    return time.perf_counter() - start, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="steps per stage")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ptst-bench-") as folder:
        root = Path(folder)
        model = build_tiny_qwen2_5_vl(root / "tiny", seed=0)
        data = convert_rl_data(RLDataConfig(sample_problems(), root / "rl" / "train", model=model,
                                            max_prompt_length=512)).outputs["train"]  # fmt: skip
        rows = []
        for mode in ("hook", "stages"):
            path = schedule(root, model, data, args.steps, mode)
            wall, peak = run(path, mode)
            steps = read_steps(root / f"ckpt-{mode}" / "metrics")
            times = [record.data["timing_s/step"] for record in steps]
            rows.append((mode, len(steps), wall, statistics.median(times), max(times), peak))
    print(f"{'mode':8} {'steps':>5} {'wall s':>7} {'step s (median)':>16} {'step s (max)':>13} {'peak PSS GB':>12}")
    for mode, count, wall, median, slowest, peak in rows:
        print(f"{mode:8} {count:5d} {wall:7.1f} {median:16.2f} {slowest:13.2f} {peak / 2**30:12.2f}")
    hook, stages = rows
    print(f"restart saved per stage boundary: {stages[2] - hook[2]:.1f} s (1 boundary)")
    print(json.dumps({"hook_wall_s": round(hook[2], 1), "stages_wall_s": round(stages[2], 1)}))


if __name__ == "__main__":
    main()
