"""``vision-r1 demo``: the project's main job on the bundled sample, offline, in about two minutes on 2 CPUs.

Every input comes from the installed package (``vision_r1_plugins/_data`` and :mod:`vision_r1_plugins.testing`),
so the demo runs from a wheel as well as from a clone. A second run reuses what the first one built.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vision_r1_plugins.core.errors import RunError, UsageError
from vision_r1_plugins.core.resources import recipe, sample_problems, sample_responses

SFT_ROWS = 8
PTST_SCHEDULE = ("verl", "vision_r1_ptst_8gpu.yaml")


@dataclass
class DemoStep:
    title: str
    lines: list[str] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)


def score_sample_responses(workdir: Path) -> DemoStep:
    from vision_r1_plugins.reward.files import score_file

    scores = workdir / "reward_scores.jsonl"
    summary = score_file(sample_responses(), scores)
    step = DemoStep(
        f"Scored {summary.rows} sample responses with the hard format-and-answer reward "
        f"(mean {summary.mean_score:.2f})",
        outputs=[scores],
    )
    for line in scores.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        step.lines.append(
            f"{record.get('id', record['line']):>9}  score {record['score']:.0f}  "
            f"{record['reason']:<20} answer {record['pred']!r}"
        )
    return step


def build_model(workdir: Path) -> DemoStep:
    from vision_r1_plugins.testing.tiny import build_tiny_qwen2_5_vl

    model = workdir / "tiny-qwen2_5_vl"
    if (model / "model.safetensors").is_file():
        return DemoStep("Reused the tiny Qwen2.5-VL", outputs=[model])
    build_tiny_qwen2_5_vl(model, seed=0)
    return DemoStep("Built a tiny Qwen2.5-VL (random weights, ~250K parameters)", outputs=[model])


def _local(model: Path, max_tokens: int) -> object:
    from vision_r1_plugins.generation import BackendConfig, Sampling, make_backend

    return make_backend(BackendConfig("transformers", str(model), sampling=Sampling(max_tokens=max_tokens)))


def modality_bridging(workdir: Path) -> DemoStep:
    from vision_r1_plugins.bridge.pipeline import BridgeConfig, bridge

    model = workdir / "tiny-qwen2_5_vl"
    report = bridge(
        BridgeConfig(sample_problems(), workdir / "bridge-output", resume=True), _local(model, 16), _local(model, 16)
    )
    stages = report.requests
    return DemoStep(
        "Modality bridging with the local transformers backend (caption + reasoning, description, reasoning)",
        [
            f"{report.input} problems: {report.kept} kept, filtered {report.filtered or {}}, rejected "
            f"{report.rejected or {}}",
            "requests per stage: "
            + ", ".join(
                f"{stage} {counts['done']} new / {counts['cached']} reused" for stage, counts in stages.items()
            ),
        ],
        [report.summary_path],
    )


def cold_start_sft(workdir: Path) -> DemoStep:
    from vision_r1_plugins.llamafactory.train import main as train
    from vision_r1_plugins.llamafactory.validate import ValidateConfig, validate_dataset
    from vision_r1_plugins.testing.synthetic import write_sharegpt_dataset

    model, data_dir, clean_dir = workdir / "tiny-qwen2_5_vl", workdir / "sft-data", workdir / "sft-data-clean"
    if not (data_dir / "dataset_info.json").is_file():
        write_sharegpt_dataset(data_dir, "vision_r1_bridged", rows=SFT_ROWS)
    report = validate_dataset(
        ValidateConfig(str(data_dir), "vision_r1_bridged", str(model), cutoff_len=1024, num_workers=1),
        fix_dir=clean_dir,
    )
    output = workdir / "sft-output"
    config = workdir / "sft.yaml"
    config.write_text(
        json.dumps(
            {
                "model_name_or_path": str(model),
                "stage": "sft",
                "do_train": True,
                "finetuning_type": "full",
                "dataset": "vision_r1_bridged",
                "dataset_dir": str(clean_dir),
                "template": "qwen2_vl",
                "cutoff_len": 1024,
                "output_dir": str(output),
                "overwrite_output_dir": True,
                "overwrite_cache": True,
                "max_steps": 3,
                "per_device_train_batch_size": 1,
                "learning_rate": 1.0e-3,
                "logging_steps": 1,
                "save_strategy": "no",
                "bf16": False,
                "report_to": "none",
                "seed": 0,
            },
            indent=2,
        )
    )  # fmt: skip  (JSON is valid YAML)
    code = train([str(config)])
    if code != 0:
        raise RunError(f"LLaMA-Factory SFT exited with {code}")
    logs = [json.loads(line) for line in (output / "trainer_log.jsonl").read_text().splitlines()]
    losses = ", ".join(f"{entry['loss']:.3f}" for entry in logs if "loss" in entry)
    return DemoStep(
        "Cold-start SFT: validated and registered sample data, then 3 LLaMA-Factory steps through our launcher",
        [
            f"validation: {report.total} rows, {report.kept} kept, {report.rejected_total} rejected, "
            f"{report.max_tokens} tokens at most",
            f"losses: {losses}",
        ],
        [clean_dir / "dataset_info.json", output],
    )


def rl_with_ptst(workdir: Path) -> DemoStep:
    """The paper's PTST recipe as real verl GRPO steps on CPU, from the SFT output: ``vision-r1 ptst run
    RECIPE --cpu --smoke`` (2 steps per stage, the recipe's shape shrunk to 16 x 4 then 32 x 2)."""
    import shutil
    import subprocess
    import sys

    from vision_r1_plugins.ptst.metrics import read_steps
    from vision_r1_plugins.verl.rl_data import RLDataConfig, convert_rl_data

    model, folder = workdir / "sft-output", workdir / "rl"
    report = convert_rl_data(RLDataConfig(sample_problems(), folder / "train", model=model,
                                          max_prompt_length=512))  # fmt: skip
    schedule = folder / PTST_SCHEDULE[1]
    shutil.copy(recipe(*PTST_SCHEDULE), schedule)
    data = str(report.outputs["train"])
    command = [sys.executable, "-m", "vision_r1_plugins.cli", "ptst", "run", str(schedule), "--cpu", "--smoke",
               "--set", f"actor_rollout_ref.model.path={model}", "--set", f"data.train_files={data}",
               "--set", f"data.val_files={data}"]  # fmt: skip
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
        raise RunError(f"the PTST smoke run failed (exit code {done.returncode}):\n{tail}")
    checkpoints = folder / "checkpoints" / "vision_r1_ptst-smoke"
    steps = read_steps(checkpoints / "metrics")
    shapes = []
    for index in sorted({record.stage_index for record in steps}):
        own = [record for record in steps if record.stage_index == index]
        shapes.append(f"stage {index + 1}: steps {own[0].step}-{own[-1].step}, n={int(own[0].data['ptst/rollout_n'])}, "
                      f"responses up to {max(int(r.data['response_length/max']) for r in own)} tokens")  # fmt: skip
    final = max(checkpoints.glob("global_step_*"), key=lambda path: int(path.name.rsplit("_", 1)[-1]))
    return DemoStep(
        "RL with PTST: real verl GRPO steps on CPU from the SFT model, the paper's two-stage schedule shrunk",
        [f"{len(steps)} GRPO steps in one verl run: " + "; ".join(shapes), f"checkpoint: {final}"],
        [report.outputs["train"], final],
    )


def evaluate_and_analyze(workdir: Path) -> DemoStep:
    """Sample the SFT model's answers to the sample benchmark, score them with the reward and the judge-free
    benchmark scorer, and write the analysis report."""
    from vision_r1_plugins.eval.analysis import load_run, write_report
    from vision_r1_plugins.eval.runner import EvalConfig, evaluate
    from vision_r1_plugins.reward.files import score_file

    problems = sample_problems()
    run = workdir / "eval" / "sft-model"
    report = evaluate(EvalConfig(problems, run, resume=(run / "responses.jsonl").exists()),
                      _local(workdir / "sft-output", 24))  # fmt: skip
    # The same sampled answers through the RL reward: what GRPO would have paid for them.
    rows = [json.loads(line) for line in (run / "rows.jsonl").read_text().splitlines()]
    gold = {problem["id"]: problem for problem in map(json.loads, problems.read_text().splitlines())}
    responses = run / "reward-input.jsonl"
    responses.write_text("".join(json.dumps({"id": row["id"], "response": row["response"],
                                             "ground_truth": gold[row["id"]]["answer"],
                                             "choices": gold[row["id"]].get("choices")}) + "\n"
                                 for row in rows if row.get("response") is not None))  # fmt: skip
    rewards = score_file(responses, run / "reward-scores.jsonl")
    analysis = write_report([load_run(run)], workdir / "analysis")
    return DemoStep(
        "Evaluation: the SFT model's sampled answers on the sample benchmark, scored, then analysed",
        [f"benchmark accuracy {report.accuracy:.1%} (strict {report.accuracy_by_protocol['strict']:.1%}) on "
         f"{report.rows} problems; no extractable answer "
         f"{report.no_answer_share:.0%}; hit max_tokens {report.hit_max_tokens_share:.0%}",
         f"reward (hard format-and-answer): mean {rewards.mean_score:.2f}; reasons {dict(rewards.reasons)}"],
        [run / "results.csv", analysis],
    )  # fmt: skip


STEPS: tuple[Callable[[Path], DemoStep], ...] = (
    score_sample_responses, build_model, modality_bridging, cold_start_sft, rl_with_ptst, evaluate_and_analyze,
)  # fmt: skip
STEP_NAMES = {"reward": score_sample_responses, "model": build_model, "bridge": modality_bridging,
              "sft": cold_start_sft, "rl": rl_with_ptst, "eval": evaluate_and_analyze}  # fmt: skip
# What a step reads from earlier ones: the tiny model, and for evaluation the SFT checkpoint.
PREREQUISITES = {"bridge": ("model",), "sft": ("model",), "rl": ("model", "sft"), "eval": ("model", "sft")}


def run_demo(
    workdir: Path, on_step: Callable[[DemoStep], None] | None = None, steps: Sequence[str] | None = None
) -> list[DemoStep]:
    """Run the demo's steps (``steps`` names a subset of :data:`STEP_NAMES`; the steps they read from are added,
    and all run in pipeline order)."""
    unknown = sorted(set(steps or ()) - set(STEP_NAMES))
    if unknown:
        raise UsageError(f"unknown demo steps {unknown}; choose from {', '.join(STEP_NAMES)}")
    wanted = set(steps or ())
    wanted |= {needed for name in wanted for needed in PREREQUISITES.get(name, ())}
    chosen = [STEP_NAMES[name] for name in STEP_NAMES if steps is None or name in wanted]
    workdir.mkdir(parents=True, exist_ok=True)
    done = []
    for step in chosen:
        result = step(workdir)
        done.append(result)
        if on_step is not None:
            on_step(result)
    return done
