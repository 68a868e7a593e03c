"""The registered benchmarks (tasks, in lm-evaluation-harness's sense), one module each with its layout and
official rule. Extend with :func:`register_benchmark`."""

from vision_r1_plugins.eval.tasks import dynamath, mathverse, mathvision, mathvista, mm_math, vision_r1, wemath
from vision_r1_plugins.eval.tasks.spec import (
    BENCHMARKS,
    BenchmarkSpec,
    OfficialResult,
    Subset,
    get_benchmark,
    register_benchmark,
)

__all__ = [
    "BENCHMARKS",
    "BenchmarkSpec",
    "OfficialResult",
    "Subset",
    "dynamath",
    "get_benchmark",
    "mathverse",
    "mathvision",
    "mathvista",
    "mm_math",
    "register_benchmark",
    "vision_r1",
    "wemath",
]
