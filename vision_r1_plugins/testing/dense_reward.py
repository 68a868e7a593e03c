"""A dense reward for proving that CPU training steps really update the model. Tests only, never a recipe.

A random tiny model never earns the hard format-and-answer reward, so every GRPO advantage is 0 and an update
changes nothing. This adds a small term that differs between any two different responses (a hash of the text,
so two rollouts tie only when they are identical) to the project's reward, keeping its result (and reason) so the
per-sample extra info still comes from our reward.
"""

from __future__ import annotations

import hashlib
from typing import Any

from vision_r1_plugins.reward import compute_score as hard_compute_score

DENSE_WEIGHT = 0.1


def dense_term(text: str) -> float:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return DENSE_WEIGHT * int.from_bytes(digest, "big") / 2**64


def compute_score(
    data_source: Any = None, solution_str: Any = "", ground_truth: Any = None, extra_info: Any = None, **kwargs: Any
) -> dict[str, Any]:
    result = dict(hard_compute_score(data_source, solution_str, ground_truth, extra_info, **kwargs))
    result["dense_term"] = dense_term(str(solution_str or ""))
    result["score"] = float(result["score"]) + result["dense_term"]
    return result
