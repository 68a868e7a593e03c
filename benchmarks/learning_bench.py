"""What GRPO adds on the toy task, by stage shape: base vs SFT vs SFT+GRPO (fixed length, PTST, adaptive PTST), and
two broken rewards as controls; the shape of the paper's ablation table at toy scale.

    .venv/bin/python benchmarks/learning_bench.py [--seeds 0 1 2] [--out runs/learning-bench] [--variant NAME ...]

Per seed, the demo's pipeline makes the toy task, the bridged data and the SFT model (``vision-r1 demo --step sft
--seed S``); every variant then runs GRPO with the hard reward from that SFT model on the task's RL problems, and
its final checkpoint answers the held-out problems (sampled at temperature 1, top_p 0.95, as the demo scores).
Variants (same prompts per step and learning rate; PTST keeps length x n at 256 tokens per prompt):

- fixed: one stage, 64 tokens x 4 rollouts, 12 steps (the paper's "Long" baseline: the longest length throughout);
- ptst: the demo's schedule, 32 x 8 for 6 steps, then 64 x 4 for 6 steps;
- adaptive: PTST whose first stage ends once fewer than 5% of its responses hit its 32-token limit for 3 steps in a
  row (the model answers within the short limit: time for the longer stage), 6 steps at most; the stages that
  follow keep their steps (a reward-plateau rule, min_delta 0.02 over 2 steps, did not fire in 6 steps on seed 0:
  the reward kept rising);
- control-negated / control-constant: PTST with the reward's sign flipped, or 1 for every answer
  (:mod:`vision_r1_plugins.testing.sabotage`): a learning check must fail on these.

Columns: held-out accuracy, mean response tokens on held-out, GRPO steps run, the training reward of the first and
last three steps (the hard reward as GRPO saw it; the controls' is their own), and wall time. A JSON line with every
number closes the output.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from vision_r1_plugins.demo import evaluate_model, run_demo, run_toy_rl
from vision_r1_plugins.eval.row_record import read_records
from vision_r1_plugins.ptst.metrics import read_steps, reward_gain
from vision_r1_plugins.testing.toy import TOY_STAGES

SABOTAGE = "reward.custom_reward_function.path=pkg://vision_r1_plugins.testing.sabotage"
ADAPTIVE_STAGES = [
    {**TOY_STAGES[0], "switch": {"signal": "clip_ratio", "below": 0.05, "patience": 3}},
    TOY_STAGES[1],
]
VARIANTS: dict[str, tuple[list[dict[str, Any]], tuple[str, ...]]] = {
    "fixed": ([{"name": "fixed_64x4", "max_response_length": 64, "rollout_n": 4, "steps": 12}], ()),
    "ptst": (list(TOY_STAGES), ()),
    "adaptive": (ADAPTIVE_STAGES, ()),
    "control-negated": (list(TOY_STAGES), (SABOTAGE, "reward.custom_reward_function.name=negated_score")),
    "control-constant": (list(TOY_STAGES), (SABOTAGE, "reward.custom_reward_function.name=constant_score")),
}


def mean_tokens(run: Path) -> float:
    return statistics.fmean(record.response_tokens or 0 for record in read_records(run / "rows.jsonl"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=Path("runs/learning-bench"))
    parser.add_argument("--variant", action="append", choices=list(VARIANTS), help="default: all")
    args = parser.parse_args()
    chosen = args.variant or list(VARIANTS)
    results: list[dict[str, Any]] = []
    for seed in args.seeds:
        workdir = (args.out / f"seed{seed}").absolute()
        run_demo(workdir, steps=["sft"], seed=seed)
        heldout = workdir / "task" / "heldout" / "problems.jsonl"
        for name, model in (("base", workdir / "tiny-qwen2_5_vl"), ("sft", workdir / "sft-output")):
            report = evaluate_model(model, heldout, workdir / "bench-eval" / name, seed)
            results.append(
                {
                    "seed": seed,
                    "variant": name,
                    "accuracy": report.accuracy,
                    "tokens": mean_tokens(workdir / "bench-eval" / name),
                }
            )
        for name in chosen:
            stages, settings = VARIANTS[name]
            started = time.monotonic()
            folder = workdir / "bench" / name
            hf, _ = run_toy_rl(workdir, folder, seed, stages=stages, settings=settings)
            wall = time.monotonic() - started
            report = evaluate_model(hf, heldout, workdir / "bench-eval" / name, seed)
            steps = read_steps(folder / "checkpoints" / "metrics")
            first, last, _ = reward_gain(steps)
            results.append(
                {
                    "seed": seed,
                    "variant": name,
                    "accuracy": report.accuracy,
                    "steps": len(steps),
                    "tokens": mean_tokens(workdir / "bench-eval" / name),
                    "reward_first": first,
                    "reward_last": last,
                    "wall_s": wall,
                    "stage_ends": [r.step for r in steps if r.data.get("ptst/switched") == 1.0],
                }
            )
    print(
        f"{'variant':18} {'seed':>4} {'held-out acc':>12} {'resp tokens':>11} {'steps':>5} "
        f"{'reward first3':>13} {'reward last3':>12} {'wall s':>7}"
    )
    for row in results:
        print(
            f"{row['variant']:18} {row['seed']:4d} {row['accuracy']:12.1%} {row['tokens']:11.1f} "
            f"{row.get('steps', 0):5d} {row.get('reward_first', float('nan')):13.2f} "
            f"{row.get('reward_last', float('nan')):12.2f} {row.get('wall_s', 0.0):7.0f}"
        )
    print(f"{'mean over seeds':18} {'':>4} {'held-out acc':>12} {'resp tokens':>11}")
    for name in ("base", "sft", *chosen):
        own = [row for row in results if row["variant"] == name]
        print(
            f"{name:18} {'':>4} {statistics.fmean(r['accuracy'] for r in own):12.1%} "
            f"{statistics.fmean(r['tokens'] for r in own):11.1f}"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
