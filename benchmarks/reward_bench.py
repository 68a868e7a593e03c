"""Reward benchmark: ours vs verl's math_verify reward vs verl's geometry3k reward, in one run.

    .venv/bin/python benchmarks/reward_bench.py [--responses 2000] [--threads 8]

1. Agreement with the labelled cases in tests/reward/reward_cases.jsonl, reward_rule_cases.jsonl,
   reward_redteam_cases.jsonl and reward_redteam2_cases.jsonl (hard-mode cases).
   A scorer "accepts" a response when it gives full credit:
   score 1.0 for ours and math_verify; >= 0.9 (its accuracy share) for geometry3k's soft 0.9/0.1 reward.
   A false positive is an accepted response labelled 0.
2. Throughput and worst-case latency on generated responses with 2K-8K characters of thinking, scored from 8
   threads as verl's reward workers do. "GRPO groups": 125 prompts x 16 rollouts whose final answers repeat
   within a group, as they do in training. "one per prompt": 2,000 prompts with one response each, so no
   (answer, gold) pair repeats and our verdict cache never helps.
3. Latency under 16 concurrent slow answers (ours only): one GRPO group whose rollouts all end in the same
   answer that keeps sympy busy past the timeout, and 16 different such answers.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "reward" / "reward_cases.jsonl"
RULE_CASES = ROOT / "tests" / "reward" / "reward_rule_cases.jsonl"
REDTEAM_CASES = ROOT / "tests" / "reward" / "reward_redteam_cases.jsonl"
REDTEAM2_CASES = ROOT / "tests" / "reward" / "reward_redteam2_cases.jsonl"
RULE_THINK = "<think>\nWorking through the figure step by step.\n</think>\n"

# (response, gold, extra_info, options) -> score. Only ours has options (boxed style, think_in_prompt); the
# baselines are called as verl calls them.
Scorer = Callable[[str, str, dict | None, dict], float]


def ours() -> Scorer:
    from vision_r1_plugins.reward import compute_score

    return lambda response, gold, extra, options: compute_score("bench", response, gold, extra, **options)["score"]


def verl_math_verify() -> Scorer:
    from verl.utils.reward_score.math_verify import compute_score

    return lambda response, gold, extra, options: compute_score(response, gold)


def verl_geometry3k() -> Scorer:
    from verl.utils.reward_score.geo3k import compute_score

    return lambda response, gold, extra, options: compute_score(response, gold)


SCORERS = {
    "ours (vision_r1)": (ours, 1.0),
    "verl math_verify": (verl_math_verify, 1.0),
    "verl geometry3k": (verl_geometry3k, 0.9),
}

WORDS = (
    "so the angle at B equals the angle at C because the triangle is isosceles and the base angles match "
    "therefore we can compute the remaining side using the law of cosines then check the area again wait "
    "let me double-check this step hmm the radius is half the diameter so the circumference follows"
).split()
MATH = [
    "x = 5",
    "\\frac{3}{4}",
    "2\\sqrt{3}",
    "30^\\circ",
    "a^2 + b^2 = c^2",
    "\\pi r^2",
    "12 cm",
    "(1, 2)",
    "7 + 8 = 15",
]


def thinking(rng: random.Random) -> str:
    target = rng.randint(2000, 8000)
    parts: list[str] = []
    size = 0
    while size < target:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20)))
        if rng.random() < 0.5:
            sentence += f" ${rng.choice(MATH)}$"
        if rng.random() < 0.1:
            sentence = "Wait, " + sentence
        parts.append(sentence.capitalize() + ".")
        size += len(parts[-1]) + 1
    return " ".join(parts)


def gold_and_wrong(rng: random.Random, unique: int) -> tuple[str, list[str]]:
    kind = rng.choice(["int", "frac", "sqrt", "deg", "mc", "decimal", "expr"])
    n = rng.randint(2, 90) + unique * 100
    if kind == "int":
        return str(n), [str(n + 1), str(n - 1), f"{n} or {n + 1}"]
    if kind == "frac":
        return f"\\frac{{{n}}}{{{n + 1}}}", [f"\\frac{{{n + 1}}}{{{n}}}", f"{n}/{n + 2}", f"{n / (n + 1):.2f}"]
    if kind == "sqrt":
        return f"{n}\\sqrt{{3}}", [f"{n}\\sqrt{{2}}", f"\\sqrt{{{3 * n * n}}}+1", f"{n + 1}\\sqrt{{3}}"]
    if kind == "deg":
        return f"{n}^\\circ", [f"{n + 10}^\\circ", f"{n + 5}", f"{180 - n}^\\circ"]
    if kind == "mc":
        letter = rng.choice("ABCD")
        return letter, [other for other in "ABCD" if other != letter] + ["A, B, C, D"]
    if kind == "decimal":
        return f"{n}.5", [f"{n}.25", f"\\frac{{{2 * n + 1}}}{{2}}+1", f"{n + 0.5:.1f}0"]
    return f"x^2+{2 * n}x+{n * n}", [f"(x+{n + 1})^2", f"x^2+{n}x+{n * n}", f"(x-{n})^2"]


def equivalent_spelling(gold: str, rng: random.Random) -> str:
    if gold.startswith("\\frac{") and rng.random() < 0.5:
        numerator, denominator = gold[6:-1].split("}{")
        return f"{numerator}/{denominator}"
    if gold.endswith("\\sqrt{3}") and rng.random() < 0.5:
        return f"\\sqrt{{{3 * int(gold.split(chr(92))[0]) ** 2}}}"
    if gold.startswith("x^2") and rng.random() < 0.5:
        half = int(gold.split("+")[1][:-1]) // 2
        return f"(x+{half})^2"
    return gold


def make_response(rng: random.Random, answer: str) -> str:
    body = thinking(rng)
    roll = rng.random()
    if roll < 0.05:
        return f"{body}\n<answer> \\boxed{{{answer}}} </answer>"  # no think block
    if roll < 0.10:
        return f"<think>\n{body}\n</think>\n<answer> \\boxed{{{answer}}} </answer> Hope this helps!"
    return f"<think>\n{body}\n</think>\n<answer> Final Answer: \\boxed{{{answer}}} </answer>"


def workload(count: int, group_size: int, seed: int = 0) -> list[tuple[str, str]]:
    """``count`` responses to ``count / group_size`` prompts; half the answers right (in varied spellings)."""
    rng = random.Random(seed)
    items: list[tuple[str, str]] = []
    for prompt in range((count + group_size - 1) // group_size):
        gold, wrong = gold_and_wrong(rng, prompt)
        for _ in range(group_size):
            answer = equivalent_spelling(gold, rng) if rng.random() < 0.5 else rng.choice(wrong)
            items.append((make_response(rng, answer), gold))
    return items[:count]


def _cases(path: Path) -> list[dict]:
    from vision_r1_plugins.core.rows import BadRow, read_jsonl

    cases = []
    for number, case in read_jsonl(path):
        if isinstance(case, BadRow):  # a case file is ours: a bad line is a bug, not a row to skip
            raise SystemExit(f"{path}:{number}: {case.reason}: {case.detail}")
        cases.append(case)
    return cases


def load_cases() -> list[dict]:
    """Hard-mode cases of the case files; the others give ``answer`` inside a fixed think block."""
    cases = _cases(CASES)
    for case in (case for path in (RULE_CASES, REDTEAM_CASES, REDTEAM2_CASES) for case in _cases(path)):
        if "answer" in case:
            case["response"] = f"{RULE_THINK}<answer>{case['answer']}</answer>"
        cases.append(case)
    return [case for case in cases if case.get("options", {}).get("mode", "hard") == "hard"]


def agreement(scorer: Scorer, threshold: float, hard: list[dict]) -> dict:
    agree = false_positives = false_negatives = 0
    for case in hard:
        extra = {"choices": case["choices"]} if case.get("choices") else None
        try:
            score = scorer(case["response"], case["ground_truth"], extra, case.get("options", {}))
            accepted = score >= threshold
        except Exception:
            accepted = False
        expected = case["expected_score"] >= 1.0
        agree += accepted == expected
        false_positives += accepted and not expected
        false_negatives += expected and not accepted
    return {"cases": len(hard), "agree": agree, "fp": false_positives, "fn": false_negatives}


def throughput(scorer: Scorer, items: list[tuple[str, str]], threads: int) -> dict:
    for response, gold in items[:8]:  # start process pools before the clock runs
        scorer(response, gold, None, {})
    latencies: list[float] = []

    def timed(item: tuple[str, str]) -> float:
        start = time.perf_counter()
        score = scorer(item[0], item[1], None, {})
        latencies.append(time.perf_counter() - start)
        return score

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as executor:
        scores = list(executor.map(timed, items))
    elapsed = time.perf_counter() - start
    return {
        "per_s": len(items) / elapsed,
        "worst": max(latencies),
        "p50": statistics.median(latencies),
        "mean_score": sum(scores) / len(scores),
    }


def slow_answers(timeout: float) -> dict:
    """16 concurrent calls whose answer keeps sympy busy past ``timeout``: one GRPO group (identical answers)
    and 16 different slow answers. Worst latency of a single call, queueing included."""
    from vision_r1_plugins.answers.pool import default_pool_size
    from vision_r1_plugins.reward import compute_score

    def run(answers: list[str]) -> tuple[float, list[str]]:
        def call(answer: str) -> tuple[float, str]:
            start = time.perf_counter()
            result = compute_score("bench", f"<think>\nslow\n</think>\n<answer>{answer}</answer>", "6", timeout=timeout)
            return time.perf_counter() - start, result["reason"]

        with ThreadPoolExecutor(max_workers=len(answers)) as executor:
            timed = list(executor.map(call, answers))
        return max(seconds for seconds, _ in timed), sorted({reason for _, reason in timed})

    group = run(["9^{9^{9^{9^{9}}}}"] * 16)
    distinct = run([f"9^{{9^{{9^{{9^{{{k}}}}}}}}} + {k}" for k in range(16)])
    return {"workers": default_pool_size(), "group": group, "distinct": distinct}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--slow-timeout", type=float, default=5.0, help="timeout for the slow-answer test")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # math-verify warns per timeout-less call in verl's pool

    grpo = workload(args.responses, group_size=16)
    distinct = workload(args.responses, group_size=1, seed=1)
    chars = [len(response) for response, _ in grpo]
    print(f"machine: {os.cpu_count()} CPUs, python {sys.version.split()[0]}; {args.threads} scoring threads")
    print(f"workload: {len(grpo)} responses, {min(chars)}-{max(chars)} characters (mean {statistics.mean(chars):.0f})")
    print()
    header = (
        f"| {'reward':<18} | {'agree':>9} | {'FP':>3} | {'FN':>3} | {'GRPO groups /s':>14} | {'worst s':>7} "
        f"| {'one per prompt /s':>17} | {'worst s':>7} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    results = {}
    hard = load_cases()
    for name, (factory, threshold) in SCORERS.items():
        scorer = factory()
        agreed = agreement(scorer, threshold, hard)
        grouped = throughput(scorer, grpo, args.threads)
        spread = throughput(scorer, distinct, args.threads)
        results[name] = (agreed, grouped, spread)
        row = f"| {name:<18} | {agreed['agree']:>4}/{agreed['cases']:<4} | {agreed['fp']:>3} | {agreed['fn']:>3} "
        row += f"| {grouped['per_s']:>14.1f} | {grouped['worst']:>7.2f} "
        row += f"| {spread['per_s']:>17.1f} | {spread['worst']:>7.2f} |"
        print(row, flush=True)
    base = results["verl math_verify"]
    mine = results["ours (vision_r1)"]
    print()
    print(
        f"ours vs verl math_verify: {mine[1]['per_s'] / base[1]['per_s']:.1f}x on GRPO groups, "
        f"{mine[2]['per_s'] / base[2]['per_s']:.1f}x with one response per prompt"
    )
    slow = slow_answers(args.slow_timeout)
    print()
    print(f"16 concurrent slow answers (timeout {args.slow_timeout:.0f} s, {slow['workers']} verifier workers):")
    for label, key in (("one GRPO group (identical answers)", "group"), ("16 different slow answers", "distinct")):
        worst, reasons = slow[key]
        print(f"  {label:<36} worst call {worst:6.2f} s  reasons {reasons}")


if __name__ == "__main__":
    main()
