"""This project's own layout (data/samples/problems, ``vision-r1 rl-data`` inputs): geometry3k fields plus
MathVista's typing fields. It has no published rule; its official protocol is the strict one."""

from __future__ import annotations

from vision_r1_plugins.eval.tasks.common import strict_rule
from vision_r1_plugins.eval.tasks.spec import BenchmarkSpec, register_benchmark

VISION_R1 = register_benchmark(
    BenchmarkSpec(
        "vision_r1",
        "This project's layout (problem/answer/images, MathVista's typing fields): the strict rules",
        strict_rule,
        breakdowns=("category",),
    )
)
