"""How each benchmark's columns map onto an evaluation row. Extend with :func:`register_benchmark`.

Column names may be dotted (``metadata.category``) to reach into nested fields; ``images`` lists candidate
columns, the first present one wins (MathVista ships both a decoded image and its path).
"""

from __future__ import annotations

from dataclasses import dataclass

from vision_r1_plugins.core.problems import ProblemColumns
from vision_r1_plugins.core.registry import Registry


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

    def columns(self) -> ProblemColumns:
        """The shared reader's columns; benchmark rows may have no image (text-only questions)."""
        return ProblemColumns(images=self.images, question=self.prompt, answer=self.answer, choices=self.choices,
                              id=self.id, require_image=False)  # fmt: skip


BENCHMARKS: Registry[BenchmarkSpec] = Registry("benchmark")


def register_benchmark(spec: BenchmarkSpec) -> BenchmarkSpec:
    return BENCHMARKS.register(spec.name, spec)


def get_benchmark(name: str) -> BenchmarkSpec:
    return BENCHMARKS.require(name)


# This project's layout (data/samples/problems, vision-r1 rl-data inputs): geometry3k fields plus MathVista's.
register_benchmark(BenchmarkSpec("vision_r1"))
# MathVista testmini as released (AI4Math/MathVista): `query` carries the hint and the options as the official
# evaluation prompts the model; `decoded_image` is the image itself, `image` its path.
MATHVISTA_TESTMINI = BenchmarkSpec(
    "mathvista_testmini", id="pid", prompt=("query",), images=("decoded_image", "image"), category="metadata.category"
)
register_benchmark(MATHVISTA_TESTMINI)
