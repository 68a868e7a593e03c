"""Inference, benchmark evaluation (no judge model needed) and reasoning analysis (``vision-r1 eval``, ``infer``).

- :func:`evaluate` / :func:`evaluate_async`: ask a model (any backend) every question of a benchmark file, score
  the answers by the benchmark's official rule and write the run folder (``rows.jsonl``, ``summary.json``, ...);
- :func:`score_responses`: score responses that already exist (a JSONL of ``id``, ``response``);
- :func:`infer` / :func:`infer_async`: one question, the response streamed;
- :func:`get_benchmark` / :func:`register_benchmark` and ``BENCHMARKS``: the benchmark registry (MathVista,
  MathVerse, MathVision, MM-Math, DynaMath, WeMath and the project's own ``vision_r1`` layout).

>>> from pathlib import Path
>>> from vision_r1_plugins.eval import BackendConfig, EvalConfig, evaluate, make_backend
>>> backend = make_backend(BackendConfig("openai", "Vision-R1-7B", "http://localhost:8000/v1"))
>>> report = evaluate(EvalConfig(Path("data/samples/problems/problems.jsonl"), Path("runs/samples")), backend)
... # doctest: +SKIP
>>> report.accuracy  # doctest: +SKIP
0.75

The synchronous functions work from a script and inside a running event loop (Jupyter).
"""

from vision_r1_plugins.eval.infer import InferResult, infer, infer_async, split_answer
from vision_r1_plugins.eval.llm_extractor import JudgeConfig
from vision_r1_plugins.eval.run_folder import EvalReport
from vision_r1_plugins.eval.runner import EvalConfig, evaluate, evaluate_async
from vision_r1_plugins.eval.score_responses import ScoreConfig, ScoreOutcome, score_responses
from vision_r1_plugins.eval.tasks import BENCHMARKS, BenchmarkSpec, get_benchmark, register_benchmark
from vision_r1_plugins.generation import BackendConfig, Sampling, make_backend

__all__ = [
    "BENCHMARKS",
    "BackendConfig",
    "BenchmarkSpec",
    "EvalConfig",
    "EvalReport",
    "InferResult",
    "JudgeConfig",
    "Sampling",
    "ScoreConfig",
    "ScoreOutcome",
    "evaluate",
    "evaluate_async",
    "get_benchmark",
    "infer",
    "infer_async",
    "make_backend",
    "register_benchmark",
    "score_responses",
    "split_answer",
]
