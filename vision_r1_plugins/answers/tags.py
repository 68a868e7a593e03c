"""The response format's tags: ``<think>`` (shared with generation) and ``<answer>``."""

from __future__ import annotations

from vision_r1_plugins.generation.thinking import THINK_CLOSE, THINK_OPEN

ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"
EXACT_TAGS = frozenset({THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE})
