"""``vision-r1 demo``: the project's main job on the bundled sample, offline, in about two minutes on 2 CPUs.

The data flows stage to stage: a scripted teacher server answers the bridge over real HTTP, SFT trains on exactly
the rows the bridge exported, RL starts from the SFT output, and evaluation scores the RL checkpoint. Every input
comes from the repository's ``data/`` (in a wheel, its copy inside the package) and :mod:`vision_r1_plugins.testing`,
so the demo runs from a wheel as well as from a clone. Framework output (LLaMA-Factory, verl, Ray, transformers,
progress bars) goes to ``WORKDIR/logs/<step>.log``; each step reports one or two lines. A second run reuses what
the first one built when its inputs have not changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from vision_r1_plugins.core.errors import RunError, UsageError
from vision_r1_plugins.core.resources import sample_responses

# The names the teacher server lists on /v1/models, and the ones the bridge asks for.
TEACHER_MLLM, TEACHER_REASONER = "demo-teacher-mllm", "demo-teacher-reasoner"
MAX_TOKENS = 256
# The teacher's reasoning is one sentence: the bridge's default minimum (200 characters, for real reasoners) would
# filter every toy sample as too short.
MIN_REASONING_CHARS = 20
# Cold-start SFT: a few epochs of the bridged rows, the vision tower trained too (the tiny one starts random).
SFT_SETTINGS: dict[str, Any] = {
    "num_train_epochs": 6,
    "per_device_train_batch_size": 8,
    "learning_rate": 2.0e-3,
    "lr_scheduler_type": "cosine",
    "warmup_ratio": 0.05,
    "freeze_vision_tower": False,
    "cutoff_len": 256,
}
# Held-out answers are greedy: the policy's most likely answer, free of sampling noise.
EVAL_TEMPERATURE = 0.0
EVAL_MAX_TOKENS = 48
# verl writes its FSDP shards; with hf_model it also writes an HF model into actor/huggingface (config and
# tokenizer are always there), which the transformers backend loads as it is.
SAVE_CONTENTS = "actor_rollout_ref.actor.checkpoint.save_contents=[model,optimizer,extra,hf_model]"
RL_NAME = "toy_ptst"
LEARNING_JSON = "learning.json"
# Child processes run offline: everything they read is on disk.
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
# The folder's stamp: the demo's version (its task and model) and the seed its outputs were made with.
DEMO_STAMP = "demo.json"
DEMO_VERSION = "toy-colour-1"
# What each step makes, removed when the demo runs with another seed or version in the same folder.
SEEDED_OUTPUTS = (
    "tiny-qwen2_5_vl",
    "task",
    "bridge-output",
    "sft-data-checked",
    "sft-output",
    "sft.yaml",
    "rl",
    "eval",
    "analysis",
    LEARNING_JSON,
)


@dataclass
class DemoStep:
    name: str
    lines: list[str] = field(default_factory=list)  # one or two: what the step did, with counts
    outputs: list[Path] = field(default_factory=list)
    log: Path | None = None
    seconds: float = 0.0


# ---- keeping framework output off the terminal ----------------------------------------------------------------


def _stream_handlers() -> list[logging.StreamHandler[Any]]:
    loggers = [
        logging.getLogger(),
        *(item for item in logging.Logger.manager.loggerDict.values() if isinstance(item, logging.Logger)),
    ]
    return [handler for log in loggers for handler in log.handlers if type(handler) is logging.StreamHandler]


def _point(handler: logging.StreamHandler[Any], stream: IO[str]) -> IO[str]:
    """Point a console handler at ``stream``; returns the old one. transformers also pins the handler's ``flush``
    to the stream it was made with."""
    old = handler.stream
    if "flush" in vars(handler):
        handler.flush = stream.flush  # type: ignore[method-assign]
    if getattr(old, "closed", False):  # setStream would flush the closed stream first, which raises
        with handler.lock or contextlib.nullcontext():
            handler.stream = stream
    else:
        handler.setStream(stream)
    return old


@contextlib.contextmanager
def _redirect_fd(fd: int, target: IO[str]) -> Iterator[None]:
    try:
        saved = os.dup(fd)
    except OSError:  # no such descriptor (a daemon, an embedding host)
        yield
        return
    try:
        os.dup2(target.fileno(), fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


@contextlib.contextmanager
def captured(log: Path) -> Iterator[IO[str]]:
    """Everything the step writes goes to ``log``: ``sys.stdout``/``sys.stderr`` (progress bars, prints), file
    descriptors 1 and 2 (C extensions, worker processes), logging handlers that write to a console (transformers',
    LLaMA-Factory's, whenever they were made) and warnings."""
    log.parent.mkdir(parents=True, exist_ok=True)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    consoles = {id(stream) for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)}
    # Appended to: a step that reuses its output keeps the log of the run that made it.
    with log.open("a", encoding="utf-8", buffering=1) as handle:
        handle.write(f"==== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(sys.argv)}\n")
        # A handler on a closed stream was pointed at a console that is gone (an earlier CliRunner's, in tests).
        moved = [
            (handler, _point(handler, handle))
            for handler in _stream_handlers()
            if id(handler.stream) in consoles or getattr(handler.stream, "closed", False)
        ]
        try:
            with contextlib.ExitStack() as stack:
                stack.enter_context(_redirect_fd(1, handle))
                stack.enter_context(_redirect_fd(2, handle))
                stack.enter_context(contextlib.redirect_stdout(handle))
                stack.enter_context(contextlib.redirect_stderr(handle))
                stack.enter_context(warnings.catch_warnings())
                warnings.simplefilter("default")
                yield handle
        finally:
            fallback = sys.__stderr__ or sys.stderr
            for handler, stream in moved:
                _point(handler, fallback if getattr(stream, "closed", False) else stream)
            # Handlers made during the step (a library imported here) would keep writing to the closed log.
            for handler in _stream_handlers():
                if handler.stream is handle:
                    _point(handler, fallback)


def log_path(workdir: Path, step: str) -> Path:
    return workdir / "logs" / f"{step}.log"


def _run_logged(command: list[str], log: Path, cwd: Path, what: str) -> None:
    """Run a child process with its output appended to ``log``; a failure quotes the log's last lines."""
    import subprocess

    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"$ {' '.join(command)}\n")
        handle.flush()
        done = subprocess.run(
            command, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT, check=False, env={**os.environ, **OFFLINE}
        )
    if done.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:])
        raise RunError(f"{what} failed (exit code {done.returncode}); the last lines of {log}:\n{tail}")


def _digest(*paths: Path) -> str:
    hasher = hashlib.sha256()
    for path in paths:
        hasher.update(path.read_bytes())
    return hasher.hexdigest()


def _jsonl(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSONL file the demo or a step it ran wrote (the task's problems, the bridge's and evaluation's
    records, LLaMA-Factory's trainer log): a line that is not a row means the step broke, so it fails the demo."""
    from vision_r1_plugins.core.rows import BadRow, read_jsonl

    rows = []
    for number, row in read_jsonl(path):
        if isinstance(row, BadRow):
            raise RunError(f"{path}:{number}: {row.detail}; rerun the step that wrote it")
        rows.append(row)
    return rows


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])))


# ---- the steps -------------------------------------------------------------------------------------------------


def score_sample_responses(workdir: Path, seed: int) -> DemoStep:
    from vision_r1_plugins.reward.files import score_file

    scores = workdir / "reward_scores.jsonl"
    summary = score_file(sample_responses(), scores)
    reasons: dict[str, int] = {}
    for row in _jsonl(scores):
        reasons[row["reason"]] = reasons.get(row["reason"], 0) + 1
    return DemoStep(
        "reward",
        [
            f"{summary.rows} sample responses scored by the hard format-and-answer reward: mean "
            f"{summary.mean_score:.2f} ({_counts(reasons)})"
        ],
        [scores],
    )


def build_model(workdir: Path, seed: int) -> DemoStep:
    from vision_r1_plugins.testing.tiny import TOY_SIZE, build_tiny_qwen2_5_vl
    from vision_r1_plugins.testing.toy import TOY_TEXT

    model = workdir / "tiny-qwen2_5_vl"
    if (model / "model.safetensors").is_file():
        return DemoStep("model", ["reused the tiny Qwen2.5-VL (random weights)"], [model])
    build_tiny_qwen2_5_vl(model, seed=seed, size=TOY_SIZE, extra_text=TOY_TEXT)
    return DemoStep(
        "model", [f"built a tiny Qwen2.5-VL with random weights ({_parameters(model) / 1e6:.1f}M parameters)"], [model]
    )


def _parameters(model: Path) -> int:
    import math

    from safetensors import safe_open

    with safe_open(str(model / "model.safetensors"), "pt") as weights:
        return sum(math.prod(weights.get_slice(name).get_shape()) for name in weights.keys())  # noqa: SIM118


def write_task(workdir: Path, seed: int) -> DemoStep:
    from vision_r1_plugins.testing.toy import ToyConfig, ToySplits, write_toy_task

    folder = workdir / "task"
    reused = (folder / "heldout" / "problems.jsonl").is_file()
    splits = (
        ToySplits(*(folder / name / "problems.jsonl" for name in ("bridge", "rl", "heldout")))
        if reused
        else write_toy_task(folder, ToyConfig(seed=seed))
    )
    bridge_rows = _jsonl(splits.bridge)
    counts = {"bridge": len(bridge_rows), "rl": len(_jsonl(splits.rl)), "heldout": len(_jsonl(splits.heldout))}
    noisy = sum(row["answer"] != row["colour"] for row in bridge_rows)
    return DemoStep(
        "task",
        [
            f"{'reused the ' if reused else ''}toy task 'what colour is the image?' (a noisy colour patch; the "
            "question quotes a claim, right half the time): "
            f"{counts['bridge']} problems to bridge ({noisy} labelled from the claim, wrongly), {counts['rl']} for "
            f"RL, {counts['heldout']} held out (new images, unseen speaker/claim/colour combinations)",
        ],
        [folder],
    )


def modality_bridging(workdir: Path, seed: int) -> DemoStep:
    """The bridge through the OpenAI backend, over HTTP, against the teacher server started here."""
    from vision_r1_plugins.bridge.filters import FilterConfig
    from vision_r1_plugins.bridge.pipeline import BridgeConfig, bridge
    from vision_r1_plugins.generation import BackendConfig, Sampling, make_backend
    from vision_r1_plugins.testing.fake_server import FakeServer, FakeServerConfig
    from vision_r1_plugins.testing.toy import teacher_settings

    out = workdir / "bridge-output"
    teacher = FakeServerConfig(models=(TEACHER_MLLM, TEACHER_REASONER), **teacher_settings(seed))
    with FakeServer(teacher, host="127.0.0.1", port=0) as server:

        def backend(model: str) -> Any:
            return make_backend(
                BackendConfig(
                    "openai", model, base_url=server.url, concurrency=16, sampling=Sampling(max_tokens=MAX_TOKENS)
                )
            )

        config = BridgeConfig(
            workdir / "task" / "bridge" / "problems.jsonl",
            out,
            resume=True,
            filters=FilterConfig(min_reasoning_chars=MIN_REASONING_CHARS),
        )
        report = bridge(config, backend(TEACHER_MLLM), backend(TEACHER_REASONER))
        stats, url = server.stats(), server.url
    (workdir / "logs" / "teacher-server.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    filtered, rejected = report.filtered_total, report.rejected_total
    failed = sum(counts["failed"] for counts in report.requests.values())
    asked = sum(counts["done"] for counts in report.requests.values()) + failed
    reused = sum(counts["cached"] for counts in report.requests.values())
    problems = {row["id"]: row for row in _jsonl(config.input)}
    taught = sum(problems[row["id"]]["answer"] != problems[row["id"]]["colour"] for row in _jsonl(out / "kept.jsonl"))
    return DemoStep(
        "bridge",
        [
            f"{report.input} problems -> {report.kept} kept, {filtered} filtered "
            f"({_counts(report.filtered) or 'none'}), {rejected} rejected ({_counts(report.rejected) or 'none'})",
            f"{taught} kept rows answer the question's wrong claim: their gold label was wrong, and the answer "
            "check keeps what agrees with the label (the habit cold-start SFT learns)",
            f"{asked} teacher requests over HTTP to {url} ({failed} failed), {reused} replies reused from the store",
        ],
        [report.dataset_path],
    )


def cold_start_sft(workdir: Path, seed: int) -> DemoStep:
    """Validate the bridge's export, then LLaMA-Factory SFT on it, in a child process (``vision-r1 sft``)."""
    from vision_r1_plugins.bridge.export import DATASET_NAME
    from vision_r1_plugins.llamafactory.validate import ValidateConfig, validate_dataset

    model, bridged, output = workdir / "tiny-qwen2_5_vl", workdir / "bridge-output", workdir / "sft-output"
    exported = bridged / f"{DATASET_NAME}.json"
    if not exported.is_file():
        raise RunError(f"no bridge export at {exported}: run the bridge step first (--step bridge)")
    rows = len(json.loads(exported.read_text(encoding="utf-8")))
    if rows == 0:
        raise RunError(f"the bridge kept no samples ({exported} is empty): nothing to train on")
    stamp = output / "demo-input.sha256"
    digest = _digest(exported, model / "model.safetensors")
    if stamp.is_file() and stamp.read_text() == digest and (output / "model.safetensors").is_file():
        return DemoStep("sft", [f"reused the SFT model trained on the {rows} bridged rows (unchanged)"], [output])
    cutoff = SFT_SETTINGS["cutoff_len"]
    report = validate_dataset(
        ValidateConfig(str(bridged), DATASET_NAME, str(model), cutoff_len=cutoff, num_workers=1),
        fix_dir=workdir / "sft-data-checked",
    )
    # The bridge's own folder and registration when every row passes; else the checked copy (the images stay in
    # the bridge's folder).
    dataset_dir = bridged if report.rejected_total == 0 else workdir / "sft-data-checked"
    config = workdir / "sft.yaml"  # written as JSON, which is valid YAML
    settings = {
        "model_name_or_path": str(model),
        "stage": "sft",
        "do_train": True,
        "finetuning_type": "full",
        "dataset": DATASET_NAME,
        "dataset_dir": str(dataset_dir),
        "media_dir": str(bridged),
        "template": "qwen2_vl",
        "output_dir": str(output),
        "overwrite_output_dir": True,
        "overwrite_cache": True,
        "logging_steps": 5,
        "save_strategy": "no",
        "bf16": False,
        "report_to": "none",
        "seed": seed,
        "disable_tqdm": True,
        **SFT_SETTINGS,
    }
    config.write_text(json.dumps(settings, indent=2) + "\n")
    _run_logged(
        [sys.executable, "-m", "vision_r1_plugins.llamafactory.train", str(config)],
        log_path(workdir, "sft"),
        workdir,
        "LLaMA-Factory SFT",
    )
    logs = _jsonl(output / "trainer_log.jsonl")
    losses = [entry["loss"] for entry in logs if "loss" in entry]
    stamp.write_text(digest)
    checked = f"{report.total} rows validated ({report.kept} kept, {report.rejected_total} rejected, at most "
    return DemoStep(
        "sft",
        [
            f"{checked}{report.max_tokens} tokens), {len(losses) * settings['logging_steps']} LLaMA-Factory steps "
            f"({SFT_SETTINGS['num_train_epochs']} epochs) on {DATASET_NAME} from {dataset_dir.name}/; loss "
            f"{losses[0]:.3f} -> {losses[-1]:.3f}",
        ],
        [output],
    )


def _final_checkpoint(checkpoints: Path) -> Path:
    steps = list(checkpoints.glob("global_step_*"))
    if not steps:
        raise RunError(f"the PTST run left no checkpoint in {checkpoints}")
    return max(steps, key=lambda path: int(path.name.rsplit("_", 1)[-1]))


def _hf_model(final: Path, folder: Path, log: Path) -> Path:
    """An HF model of the final RL checkpoint: verl's own ``actor/huggingface`` when it holds weights, else the
    FSDP shards merged by verl's model merger."""
    hf = final / "actor" / "huggingface"
    if any(hf.glob("*.safetensors")):
        return hf
    merged = folder / "merged" / final.name
    _run_logged(
        [
            sys.executable,
            "-m",
            "verl.model_merger",
            "merge",
            "--backend",
            "fsdp",
            "--local_dir",
            str(final / "actor"),
            "--target_dir",
            str(merged),
        ],
        log,
        folder,
        "verl's model merger",
    )
    return merged


def rl_checkpoints(workdir: Path) -> Path:
    return workdir / "rl" / "checkpoints"


def run_toy_rl(
    workdir: Path,
    folder: Path,
    seed: int,
    stages: Sequence[dict[str, Any]] | None = None,
    settings: Sequence[str] = (),
) -> tuple[Path, bool]:
    """GRPO on the toy task's RL problems from the demo's SFT model, in ``folder`` (``vision-r1 ptst run SCHEDULE
    --cpu``, the hard reward alone unless ``settings`` (``--set`` values) say otherwise). Returns the final
    checkpoint's HF model and whether a finished run was reused (same SFT model, same stages and settings)."""
    import shutil

    from vision_r1_plugins.testing.toy import TOY_STAGES, TOY_VERL, write_toy_schedule
    from vision_r1_plugins.verl.rl_data import RLDataConfig, convert_rl_data

    model, checkpoints = workdir / "sft-output", folder / "checkpoints"
    if not (model / "model.safetensors").is_file():
        raise RunError(f"no SFT model at {model}: run the sft step first (--step sft)")
    stages = list(stages or TOY_STAGES)
    stamp = folder / "demo-input.sha256"
    # Another SFT model, schedule, GRPO setting or seed is another run.
    digest = _digest(model / "model.safetensors") + json.dumps([stages, list(settings), TOY_VERL, seed], sort_keys=True)
    reused = stamp.is_file() and stamp.read_text() == digest and checkpoints.is_dir()
    log = log_path(workdir, f"rl-{folder.name}" if folder != workdir / "rl" else "rl")
    if not reused:
        if checkpoints.exists():  # a run from another SFT model or schedule: verl would resume it
            shutil.rmtree(checkpoints)
        report = convert_rl_data(
            RLDataConfig(
                workdir / "task" / "rl" / "problems.jsonl", folder / "train", model=model, max_prompt_length=72
            )
        )
        schedule = write_toy_schedule(folder, model, report.outputs["train"], stages=stages, name=RL_NAME, seed=seed)
        command = [
            sys.executable,
            "-m",
            "vision_r1_plugins.cli",
            "ptst",
            "run",
            str(schedule),
            "--cpu",
            "--set",
            SAVE_CONTENTS,
        ]
        for setting in settings:
            command += ["--set", setting]
        _run_logged(command, log, folder, "the PTST run")
    hf = _hf_model(_final_checkpoint(checkpoints), folder, log)
    if not reused:
        stamp.write_text(digest)
    return hf, reused


def rl_with_ptst(workdir: Path, seed: int) -> DemoStep:
    """GRPO with PTST (hard reward alone) as real verl steps on CPU, from the SFT output: ``vision-r1 ptst run
    SCHEDULE --cpu`` with the toy schedule (:data:`vision_r1_plugins.testing.toy.TOY_STAGES`)."""
    from vision_r1_plugins.ptst.metrics import read_steps

    hf, reused = run_toy_rl(workdir, workdir / "rl", seed)
    steps = read_steps(rl_checkpoints(workdir) / "metrics")
    shapes = []
    for index in sorted({record.stage_index for record in steps}):
        own = [record for record in steps if record.stage_index == index]
        rewards = [float(record.data["critic/score/mean"]) for record in own]
        shapes.append(
            f"stage {index + 1} (n={int(own[0].data['ptst/rollout_n'])}, up to "
            f"{int(own[0].data['ptst/response_length_limit'])} tokens): steps {own[0].step}-{own[-1].step}, "
            f"reward {sum(rewards) / len(rewards):.2f}"
        )
    gaps = [
        float(record.data["training/rollout_probs_diff_max"])
        for record in steps
        if "training/rollout_probs_diff_max" in record.data
    ]
    start = "reused: " if reused else ""
    return DemoStep(
        "rl",
        [
            f"{start}{len(steps)} GRPO steps with the hard reward alone, in one verl run from the SFT model: "
            + "; ".join(shapes),
            f"the rollout's log-probs matched the trainer's within {max(gaps, default=float('nan')):.4f} "
            "(probability) on every step",
        ],
        [hf],
    )


def rl_model(workdir: Path) -> Path:
    """The HF model of the demo's final RL checkpoint (what evaluation scores)."""
    final = _final_checkpoint(rl_checkpoints(workdir))
    hf = final / "actor" / "huggingface"
    return hf if any(hf.glob("*.safetensors")) else workdir / "rl" / "merged" / final.name


def evaluate_model(model: Path, problems: Path, run: Path, seed: int) -> Any:
    """Answers of ``model`` to ``problems`` (reused when the stored ones came from the same weights)."""
    import shutil

    from vision_r1_plugins.eval.runner import EvalConfig, evaluate
    from vision_r1_plugins.generation import BackendConfig, Sampling, make_backend

    stamp = run / "demo-model.sha256"
    digest = _digest(*sorted(model.glob("*.safetensors")))
    resume = stamp.is_file() and stamp.read_text() == digest and (run / "responses.jsonl").exists()
    if not resume and run.exists():  # another model's answers
        shutil.rmtree(run)
    run.mkdir(parents=True, exist_ok=True)
    sampling = Sampling(temperature=EVAL_TEMPERATURE, top_p=1.0, max_tokens=EVAL_MAX_TOKENS, seed=seed)
    report = evaluate(
        EvalConfig(problems, run, resume=resume),
        make_backend(BackendConfig("transformers", str(model), sampling=sampling)),
    )
    stamp.write_text(digest)  # after the answers: a failed run's answers are not taken for this model's
    return report


def followed_wrong_claims(run: Path, problems: Path) -> float:
    """The share of held-out problems with a wrong claim whose answer repeats the claim: the cold-start habit."""
    claims = {row["id"]: row for row in _jsonl(problems)}
    wrong = [row for row in _jsonl(run / "rows.jsonl") if not claims[row["id"]]["claim_right"]]
    followed = [row for row in wrong if (row.get("extracted") or "").strip().lower() == claims[row["id"]]["claim"]]
    return len(followed) / len(wrong) if wrong else 0.0


def evaluate_and_analyze(workdir: Path, seed: int) -> DemoStep:
    """Sample the base, SFT and RL models' answers to the held-out problems, write ``learning.json`` and the
    analysis report (with PTST's training curves)."""
    from vision_r1_plugins.eval.analysis import load_run, write_report
    from vision_r1_plugins.ptst.metrics import read_metrics, report_section
    from vision_r1_plugins.testing.toy import TOY_STAGES

    problems = workdir / "task" / "heldout" / "problems.jsonl"
    models = {"base": workdir / "tiny-qwen2_5_vl", "sft": workdir / "sft-output", "rl": rl_model(workdir)}
    runs = {name: workdir / "eval" / f"{name}-model" for name in models}
    reports = {name: evaluate_model(model, problems, runs[name], seed) for name, model in models.items()}
    names = [stage["name"] for stage in TOY_STAGES]
    stages = [stage for stage in read_metrics(rl_checkpoints(workdir) / "metrics", names) if stage.steps]
    learning = {
        "heldout_rows": reports["rl"].rows,
        "base_accuracy": reports["base"].accuracy,
        "sft_accuracy": reports["sft"].accuracy,
        "rl_accuracy": reports["rl"].accuracy,
        "reward_by_stage": {stage.name: stage.mean("reward") for stage in stages},
        "seed": seed,
        "temperature": EVAL_TEMPERATURE,
        "followed_wrong_claim": {
            name: followed_wrong_claims(workdir / "eval" / f"{name}-model", problems) for name in ("sft", "rl")
        },
    }
    (workdir / LEARNING_JSON).write_text(json.dumps(learning, indent=2) + "\n", encoding="utf-8")
    analysis = write_report(
        [load_run(workdir / "eval" / f"{name}-model") for name in models],
        workdir / "analysis",
        sections=[report_section(rl_checkpoints(workdir) / "metrics", workdir / "analysis")],
    )
    habit = learning["followed_wrong_claim"]
    return DemoStep(
        "eval",
        [
            f"held-out accuracy ({learning['heldout_rows']} problems, greedy answers): base "
            f"{learning['base_accuracy']:.1%}, SFT {learning['sft_accuracy']:.1%}, RL {learning['rl_accuracy']:.1%}",
            f"what RL changed: answers that repeat a wrong claim from the question {habit['sft']:.0%} -> "
            f"{habit['rl']:.0%}",
        ],
        [workdir / LEARNING_JSON, analysis],
    )


STEP_NAMES: dict[str, Callable[[Path, int], DemoStep]] = {
    "reward": score_sample_responses,
    "model": build_model,
    "task": write_task,
    "bridge": modality_bridging,
    "sft": cold_start_sft,
    "rl": rl_with_ptst,
    "eval": evaluate_and_analyze,
}
STEPS = tuple(STEP_NAMES.values())
# What a step reads from earlier ones: the bridge the task, SFT the bridge's export (and the tiny model), RL the
# SFT model and the task's RL problems, evaluation all three models. SFT and RL reuse their output when its inputs
# have not changed.
PREREQUISITES = {
    "task": (),
    "bridge": ("task",),
    "sft": ("model", "task", "bridge"),
    "rl": ("model", "task", "bridge", "sft"),
    "eval": ("model", "task", "bridge", "sft", "rl"),
}

# What the demo stands in for, and how to run the real thing: (part, what the demo uses, the real command). The
# CLI prints them last.
STAND_INS = (
    (
        "teacher",
        "a scripted OpenAI-compatible server on 127.0.0.1 (vision_r1_plugins/testing/fake_server.py, "
        "teacher mode): one-sentence reasoning that trusts the question's claim 60% of the time",
        "vision-r1 bridge PROBLEMS.jsonl --out DIR --base-url http://host:8000/v1 --model Qwen2.5-VL-72B-Instruct "
        "--reasoner-base-url http://host2:8000/v1 --reasoner-model DeepSeek-R1",
    ),
    (
        "task",
        "a toy colour task (vision_r1_plugins/testing/toy.py) a 1.1M-parameter model learns in minutes: it "
        "shows that the recipe teaches, not that a model reasons",
        "vision-r1 recipes copy vision_r1_bridged_8gpu DIR (Qwen2.5-VL-7B-Instruct; set dataset_dir to the bridge's "
        "--out), then vision-r1 sft DIR/vision_r1_bridged_8gpu.yaml on GPUs",
    ),
    (
        "RL",
        "12 CPU steps of PTST at toy lengths (32 tokens x 8 rollouts, then 64 x 4) with the recipe's hard "
        "reward; the learning rate is the tiny model's",
        "vision-r1 recipes copy vision_r1_ptst_8gpu DIR, vision-r1 ptst run DIR/vision_r1_ptst_8gpu.yaml, then "
        "vision-r1 eval run BENCHMARK.jsonl --out RUN --backend vllm --model CHECKPOINT",
    ),
)


def _start_seed(workdir: Path, seed: int) -> None:
    """A folder made with another seed, or by another version of the demo (its task, its model), starts afresh:
    every step's output depends on both."""
    import shutil

    stamp = workdir / DEMO_STAMP
    wanted = {"demo": DEMO_VERSION, "seed": seed}
    try:
        current = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = None
    if current != wanted:
        for name in SEEDED_OUTPUTS:
            path = workdir / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    stamp.write_text(json.dumps(wanted) + "\n", encoding="utf-8")


def run_demo(
    workdir: Path,
    on_step: Callable[[DemoStep], None] | None = None,
    steps: Sequence[str] | None = None,
    seed: int = 0,
) -> list[DemoStep]:
    """Run the demo's steps (``steps`` names a subset of :data:`STEP_NAMES`; the steps they read from are added,
    and all run in pipeline order). ``seed`` fixes the model's initialisation, the task, the teacher, SFT, RL and
    the sampled answers; a folder made with another seed is started afresh."""
    unknown = sorted(set(steps or ()) - set(STEP_NAMES))
    if unknown:
        raise UsageError(f"unknown demo steps {unknown}; choose from {', '.join(STEP_NAMES)}")
    wanted = set(steps or ())
    wanted |= {needed for name in wanted for needed in PREREQUISITES.get(name, ())}
    chosen = [STEP_NAMES[name] for name in STEP_NAMES if steps is None or name in wanted]
    workdir = Path(workdir).absolute()  # the steps' child processes run in other folders
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    _start_seed(workdir, seed)
    done = []
    for step in chosen:
        name = next(key for key, value in STEP_NAMES.items() if value is step)
        # Steps that run frameworks in this process (the bridge's client, evaluation's transformers) log there too.
        started = time.monotonic()
        with captured(log_path(workdir, name)):
            result = step(workdir, seed)
        result.log, result.seconds = log_path(workdir, name), time.monotonic() - started
        done.append(result)
        if on_step is not None:
            on_step(result)
    return done
