"""``vision-r1 demo``: the project's main job on the bundled sample, offline, in about two minutes on 2 CPUs.

The data flows stage to stage: a scripted teacher server answers the bridge over real HTTP, SFT trains on exactly
the rows the bridge exported, RL starts from the SFT output, and evaluation scores the RL checkpoint. Every input
comes from the installed package (``vision_r1_plugins/_data`` and :mod:`vision_r1_plugins.testing`), so the demo
runs from a wheel as well as from a clone. Framework output (LLaMA-Factory, verl, Ray, transformers, progress
bars) goes to ``WORKDIR/logs/<step>.log``; each step reports one or two lines. A second run reuses what the first
one built when its inputs have not changed.
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
from vision_r1_plugins.core.resources import recipe, sample_problems, sample_responses

PTST_SCHEDULE = ("verl", "vision_r1_ptst_8gpu.yaml")
# The names the teacher server lists on /v1/models, and the ones the bridge asks for.
TEACHER_MLLM, TEACHER_REASONER = "demo-teacher-mllm", "demo-teacher-reasoner"
# Planted failures: which samples get them is fixed by the seed and the prompts (a hash), so every run tells the
# same story; on the bundled prompts about one sample in seven fails in one of the three ways.
TEACHER_SEED = 6
TEACHER_RATES = {"teacher_failed_rate": 0.04, "teacher_wrong_rate": 0.1, "teacher_truncated_rate": 0.04}
MAX_TOKENS = 2048
EVAL_MAX_TOKENS = 24
# verl writes its FSDP shards; with hf_model it also writes an HF model into actor/huggingface (config and
# tokenizer are always there), which the transformers backend loads as it is.
SAVE_CONTENTS = "actor_rollout_ref.actor.checkpoint.save_contents=[model,optimizer,extra,hf_model]"
# A random model never earns the hard reward, so every GRPO advantage would be 0 and RL would not move the weights:
# the demo's RL adds the test-only dense term (a hash of the response) to the project's hard reward.
DENSE_REWARD = "reward.custom_reward_function.path=pkg://vision_r1_plugins.testing.dense_reward"
# Child processes run offline: everything they read is on disk.
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


@dataclass
class DemoStep:
    name: str
    lines: list[str] = field(default_factory=list)  # one or two: what the step did, with counts
    outputs: list[Path] = field(default_factory=list)
    log: Path | None = None
    seconds: float = 0.0


# ---- keeping framework output off the terminal ----------------------------------------------------------------


def _stream_handlers() -> list[logging.StreamHandler[Any]]:
    loggers = [logging.getLogger(), *(item for item in logging.Logger.manager.loggerDict.values()
                                      if isinstance(item, logging.Logger))]  # fmt: skip
    return [handler for log in loggers for handler in log.handlers
            if type(handler) is logging.StreamHandler]  # fmt: skip


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
        moved = [(handler, _point(handler, handle)) for handler in _stream_handlers()
                 if id(handler.stream) in consoles or getattr(handler.stream, "closed", False)]  # fmt: skip
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
        done = subprocess.run(command, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT, check=False,
                              env={**os.environ, **OFFLINE})  # fmt: skip
    if done.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:])
        raise RunError(f"{what} failed (exit code {done.returncode}); the last lines of {log}:\n{tail}")


def _digest(*paths: Path) -> str:
    hasher = hashlib.sha256()
    for path in paths:
        hasher.update(path.read_bytes())
    return hasher.hexdigest()


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])))


# ---- the steps -------------------------------------------------------------------------------------------------


def score_sample_responses(workdir: Path) -> DemoStep:
    from vision_r1_plugins.reward.files import score_file

    scores = workdir / "reward_scores.jsonl"
    summary = score_file(sample_responses(), scores)
    reasons: dict[str, int] = {}
    for line in scores.read_text(encoding="utf-8").splitlines():
        reason = json.loads(line)["reason"]
        reasons[reason] = reasons.get(reason, 0) + 1
    return DemoStep("reward", [f"{summary.rows} sample responses scored by the hard format-and-answer reward: mean "
                               f"{summary.mean_score:.2f} ({_counts(reasons)})"], [scores])  # fmt: skip


def build_model(workdir: Path) -> DemoStep:
    from vision_r1_plugins.testing.tiny import build_tiny_qwen2_5_vl

    model = workdir / "tiny-qwen2_5_vl"
    if (model / "model.safetensors").is_file():
        return DemoStep("model", ["reused the tiny Qwen2.5-VL (random weights)"], [model])
    build_tiny_qwen2_5_vl(model, seed=0)
    return DemoStep("model", ["built a tiny Qwen2.5-VL (random weights, ~250K parameters)"], [model])


def modality_bridging(workdir: Path) -> DemoStep:
    """The bridge through the OpenAI backend, over HTTP, against the teacher server started here."""
    from vision_r1_plugins.bridge.pipeline import BridgeConfig, bridge
    from vision_r1_plugins.generation import BackendConfig, Sampling, make_backend
    from vision_r1_plugins.testing.fake_server import FakeServer, FakeServerConfig

    out = workdir / "bridge-output"
    teacher = FakeServerConfig(teacher=True, seed=TEACHER_SEED, models=(TEACHER_MLLM, TEACHER_REASONER),
                               **TEACHER_RATES)  # fmt: skip
    with FakeServer(teacher, host="127.0.0.1", port=0) as server:

        def backend(model: str) -> Any:
            return make_backend(BackendConfig("openai", model, base_url=server.url, concurrency=16,
                                              sampling=Sampling(max_tokens=MAX_TOKENS)))  # fmt: skip

        report = bridge(BridgeConfig(sample_problems(), out, resume=True), backend(TEACHER_MLLM),
                        backend(TEACHER_REASONER))  # fmt: skip
        stats, url = server.stats(), server.url
    (workdir / "logs" / "teacher-server.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    filtered, rejected = sum(report.filtered.values()), sum(report.rejected.values())
    failed = sum(counts["failed"] for counts in report.requests.values())
    asked = sum(counts["done"] for counts in report.requests.values()) + failed
    reused = sum(counts["cached"] for counts in report.requests.values())
    return DemoStep("bridge", [
        f"{report.input} problems -> {report.kept} kept, {filtered} filtered ({_counts(report.filtered) or 'none'}), "
        f"{rejected} rejected ({_counts(report.rejected) or 'none'})",
        f"{asked} teacher requests over HTTP to {url} ({failed} failed), {reused} replies reused from the store",
    ], [report.dataset_path])  # fmt: skip


def cold_start_sft(workdir: Path) -> DemoStep:
    """Validate the bridge's export, then 3 LLaMA-Factory steps on it, in a child process (``vision-r1 sft``)."""
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
    report = validate_dataset(
        ValidateConfig(str(bridged), DATASET_NAME, str(model), cutoff_len=1024, num_workers=1),
        fix_dir=workdir / "sft-data-checked",
    )
    # The bridge's own folder and registration when every row passes; else the checked copy (the images stay in
    # the bridge's folder).
    dataset_dir = bridged if report.rejected_total == 0 else workdir / "sft-data-checked"
    config = workdir / "sft.yaml"  # written as JSON, which is valid YAML
    config.write_text(
        json.dumps(
            {
                "model_name_or_path": str(model),
                "stage": "sft",
                "do_train": True,
                "finetuning_type": "full",
                "dataset": DATASET_NAME,
                "dataset_dir": str(dataset_dir),
                "media_dir": str(bridged),
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
                "disable_tqdm": True,
            },
            indent=2,
        )
        + "\n"
    )
    _run_logged([sys.executable, "-m", "vision_r1_plugins.llamafactory.train", str(config)],
                log_path(workdir, "sft"), workdir, "LLaMA-Factory SFT")  # fmt: skip
    logs = [json.loads(line) for line in (output / "trainer_log.jsonl").read_text().splitlines()]
    losses = ", ".join(f"{entry['loss']:.3f}" for entry in logs if "loss" in entry)
    stamp.write_text(digest)
    checked = f"{report.total} rows validated ({report.kept} kept, {report.rejected_total} rejected, at most "
    return DemoStep("sft", [
        f"{checked}{report.max_tokens} tokens), 3 LLaMA-Factory steps on {DATASET_NAME} from {dataset_dir.name}/; "
        f"losses {losses}",
    ], [output])  # fmt: skip


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
    _run_logged([sys.executable, "-m", "verl.model_merger", "merge", "--backend", "fsdp", "--local_dir",
                 str(final / "actor"), "--target_dir", str(merged)], log, folder, "verl's model merger")  # fmt: skip
    return merged


def rl_with_ptst(workdir: Path) -> DemoStep:
    """The paper's PTST recipe as real verl GRPO steps on CPU, from the SFT output: ``vision-r1 ptst run
    RECIPE --cpu --smoke`` (2 steps per stage, the recipe's shape shrunk to 16 x 4 then 32 x 2)."""
    import shutil

    from vision_r1_plugins.ptst.metrics import read_steps
    from vision_r1_plugins.verl.rl_data import RLDataConfig, convert_rl_data

    model, folder = workdir / "sft-output", workdir / "rl"
    checkpoints = folder / "checkpoints" / "vision_r1_ptst-smoke"
    stamp = folder / "demo-input.sha256"
    if not (model / "model.safetensors").is_file():
        raise RunError(f"no SFT model at {model}: run the sft step first (--step sft)")
    digest = _digest(model / "model.safetensors")
    reused = stamp.is_file() and stamp.read_text() == digest and checkpoints.is_dir()
    log = log_path(workdir, "rl")
    if not reused:
        if checkpoints.exists():  # a run from another SFT model: verl would resume it
            shutil.rmtree(checkpoints)
        report = convert_rl_data(RLDataConfig(sample_problems(), folder / "train", model=model,
                                              max_prompt_length=512))  # fmt: skip
        schedule = folder / PTST_SCHEDULE[1]
        shutil.copy(recipe(*PTST_SCHEDULE), schedule)
        data = str(report.outputs["train"])
        command = [sys.executable, "-m", "vision_r1_plugins.cli", "ptst", "run", str(schedule), "--cpu", "--smoke",
                   "--set", f"actor_rollout_ref.model.path={model}", "--set", f"data.train_files={data}",
                   "--set", f"data.val_files={data}", "--set", SAVE_CONTENTS, "--set", DENSE_REWARD]  # fmt: skip
        _run_logged(command, log, folder, "the PTST smoke run")
    final = _final_checkpoint(checkpoints)
    hf = _hf_model(final, folder, log)
    if not reused:
        stamp.write_text(digest)
    steps = read_steps(checkpoints / "metrics")
    shapes = []
    for index in sorted({record.stage_index for record in steps}):
        own = [record for record in steps if record.stage_index == index]
        shapes.append(f"stage {index + 1}: steps {own[0].step}-{own[-1].step}, n={int(own[0].data['ptst/rollout_n'])}, "
                      f"responses up to {max(int(r.data['response_length/max']) for r in own)} tokens")  # fmt: skip
    start = "reused: " if reused else ""
    scores = [float(record.data["critic/score/mean"]) for record in steps if "critic/score/mean" in record.data]
    moved = "changed" if _digest(*sorted(hf.glob("*.safetensors"))) != digest else "did not change"
    return DemoStep("rl", [
        f"{start}{len(steps)} GRPO steps in one verl run from the SFT model: " + "; ".join(shapes),
        f"reward mean {sum(scores) / max(len(scores), 1):.3f} (hard reward + a dense test term); the weights {moved}",
    ], [hf])  # fmt: skip


def rl_model(workdir: Path) -> Path:
    """The HF model of the demo's final RL checkpoint (what evaluation scores)."""
    final = _final_checkpoint(workdir / "rl" / "checkpoints" / "vision_r1_ptst-smoke")
    hf = final / "actor" / "huggingface"
    return hf if any(hf.glob("*.safetensors")) else workdir / "rl" / "merged" / final.name


def evaluate_and_analyze(workdir: Path) -> DemoStep:
    """Sample the RL model's answers to the sample benchmark, score them with the reward and the judge-free
    benchmark scorer, and write the analysis report."""
    from vision_r1_plugins.eval.analysis import load_run, write_report
    from vision_r1_plugins.eval.runner import EvalConfig, evaluate
    from vision_r1_plugins.generation import BackendConfig, Sampling, make_backend
    from vision_r1_plugins.reward.files import score_file

    problems = sample_problems()
    model = rl_model(workdir)
    run = workdir / "eval" / "rl-model"
    # Replies of another model are not reused: the stamp names the model the stored ones came from.
    stamp = run / "demo-model.sha256"
    digest = _digest(*sorted(model.glob("*.safetensors")))
    resume = stamp.is_file() and stamp.read_text() == digest and (run / "responses.jsonl").exists()
    run.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest)
    local = make_backend(BackendConfig("transformers", str(model), sampling=Sampling(max_tokens=EVAL_MAX_TOKENS)))
    report = evaluate(EvalConfig(problems, run, resume=resume), local)
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
    return DemoStep("eval", [
        f"the RL model on {report.rows} problems: accuracy {report.accuracy:.1%} (strict "
        f"{report.accuracy_by_protocol['strict']:.1%}), no extractable answer {report.no_answer_share:.0%}, hit "
        f"max_tokens {report.hit_max_tokens_share:.0%}; reward mean {rewards.mean_score:.2f} "
        f"({_counts(dict(rewards.reasons))})",
    ], [run / "results.csv", analysis])  # fmt: skip


STEPS: tuple[Callable[[Path], DemoStep], ...] = (
    score_sample_responses, build_model, modality_bridging, cold_start_sft, rl_with_ptst, evaluate_and_analyze,
)  # fmt: skip
STEP_NAMES = {"reward": score_sample_responses, "model": build_model, "bridge": modality_bridging,
              "sft": cold_start_sft, "rl": rl_with_ptst, "eval": evaluate_and_analyze}  # fmt: skip
# What a step reads from earlier ones: SFT the bridge's export (and the tiny model), RL the SFT model, evaluation
# the RL model. The SFT and RL steps reuse their output when its inputs are unchanged.
PREREQUISITES = {"bridge": ("model",), "sft": ("model", "bridge"), "rl": ("model", "bridge", "sft"),
                 "eval": ("model", "bridge", "sft", "rl")}  # fmt: skip

# What the demo stands in for, and how to run the real thing: (part, what the demo uses, the real command). The
# CLI prints them last.
STAND_INS = (
    ("teacher", "a scripted OpenAI-compatible server on 127.0.0.1 (vision_r1_plugins/testing/fake_server.py, "
                "teacher mode): it reasons to the hinted gold answer and plants a few failures",
     "vision-r1 bridge PROBLEMS.jsonl --out DIR --base-url http://host:8000/v1 --model Qwen2.5-VL-72B-Instruct "
     "--reasoner-base-url http://host2:8000/v1 --reasoner-model DeepSeek-R1"),
    ("model", "a tiny Qwen2.5-VL with random weights: losses, rewards and accuracy show that data flows, not that "
              "it reasons",
     "vision-r1 recipes copy vision_r1_bridged_8gpu DIR (Qwen2.5-VL-7B-Instruct; set dataset_dir to the bridge's "
     "--out), then vision-r1 sft DIR/vision_r1_bridged_8gpu.yaml on GPUs"),
    ("reward", "RL adds a dense test term (vision_r1_plugins/testing/dense_reward.py) so that GRPO moves a model "
               "that never earns the hard reward; the recipes use the hard reward alone",
     "vision-r1 recipes copy vision_r1_ptst_8gpu DIR, vision-r1 ptst run DIR/vision_r1_ptst_8gpu.yaml, then "
     "vision-r1 eval run BENCHMARK.jsonl --out RUN --backend vllm --model CHECKPOINT"),
)  # fmt: skip


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
    workdir = Path(workdir).absolute()  # the steps' child processes run in other folders
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    done = []
    for step in chosen:
        name = next(key for key, value in STEP_NAMES.items() if value is step)
        # Steps that run frameworks in this process (the bridge's client, evaluation's transformers) log there too.
        started = time.monotonic()
        with captured(log_path(workdir, name)):
            result = step(workdir)
        result.log, result.seconds = log_path(workdir, name), time.monotonic() - started
        done.append(result)
        if on_step is not None:
            on_step(result)
    return done
