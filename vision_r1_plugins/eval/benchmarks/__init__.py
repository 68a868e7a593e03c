"""How each benchmark's columns map onto an evaluation row. Extend with :func:`register_benchmark`.

Column names may be dotted (``metadata.category``) to reach into nested fields; ``images`` lists candidate
columns, the first present one wins (MathVista ships both a decoded image and its path).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BenchmarkSpec:
    name: str
    id: str = "id"
    prompt: tuple[str, ...] = ("query", "problem", "question")  # what the model is asked (first present column)
    images: tuple[str, ...] = ("images", "image")
    answer: str = "answer"
    choices: str | None = "choices"
    question_type: str | None = "question_type"
    answer_type: str | None = "answer_type"
    precision: str | None = "precision"
    category: str | None = "category"


BENCHMARKS: dict[str, BenchmarkSpec] = {}


def register_benchmark(spec: BenchmarkSpec) -> BenchmarkSpec:
    if spec.name in BENCHMARKS:
        raise ValueError(f"benchmark {spec.name!r} is already registered")
    BENCHMARKS[spec.name] = spec
    return spec


def get_benchmark(name: str) -> BenchmarkSpec:
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise ValueError(f"unknown benchmark {name!r}; registered: {sorted(BENCHMARKS)}") from None


# This project's layout (data/samples/problems, vision-r1 rl-data inputs): geometry3k fields plus MathVista's.
register_benchmark(BenchmarkSpec("vision_r1"))
# MathVista testmini as released (AI4Math/MathVista): `query` carries the hint and the options as the official
# evaluation prompts the model; `decoded_image` is the image itself, `image` its path.
MATHVISTA_TESTMINI = BenchmarkSpec(
    "mathvista_testmini", id="pid", prompt=("query",), images=("decoded_image", "image"), category="metadata.category"
)
register_benchmark(MATHVISTA_TESTMINI)
