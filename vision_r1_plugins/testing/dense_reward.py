"""A dense reward for proving that CPU training steps really update the model. Tests only, never a recipe.

A random tiny model never earns the hard format-and-answer reward, so every GRPO advantage is 0 and an update
changes nothing. This adds a small term that differs between rollouts (the share of distinct characters) to the
project's reward, keeping its result (and reason) so the per-sample extra info still comes from our reward.
"""

from __future__ import annotations

from typing import Any

from vision_r1_plugins.reward import compute_score as hard_compute_score

DENSE_WEIGHT = 0.1


def compute_score(data_source: Any = None, solution_str: Any = "", ground_truth: Any = None,
                  extra_info: Any = None, **kwargs: Any) -> dict[str, Any]:  # fmt: skip
    result = dict(hard_compute_score(data_source, solution_str, ground_truth, extra_info, **kwargs))
    text = str(solution_str or "")
    result["dense_term"] = DENSE_WEIGHT * len(set(text)) / max(len(text), 1)
    result["score"] = float(result["score"]) + result["dense_term"]
    return result
