"""Broken rewards that prove the learning check can fail. Benchmarks and tests only, never a recipe.

``benchmarks/learning_bench.py`` runs the toy task's GRPO with each in place of the hard reward (``--set
reward.custom_reward_function.path=pkg://vision_r1_plugins.testing.sabotage`` with ``.name=`` one of these): a
learning check that passes with them checks nothing.

- :func:`negated_score`: the hard reward with its sign flipped (a sign error in the reward or the advantages);
  GRPO then pushes the model away from right answers.
- :func:`constant_score`: 1 for every response (a reward that ignores the answer, or advantages that are always
  zero); GRPO then has nothing to learn from.
"""

from __future__ import annotations

from typing import Any

from vision_r1_plugins.reward import compute_score as hard_compute_score


def negated_score(
    data_source: Any = None, solution_str: Any = "", ground_truth: Any = None, extra_info: Any = None, **kwargs: Any
) -> dict[str, Any]:
    result = dict(hard_compute_score(data_source, solution_str, ground_truth, extra_info, **kwargs))
    result["score"] = -float(result["score"])
    return result


def constant_score(
    data_source: Any = None, solution_str: Any = "", ground_truth: Any = None, extra_info: Any = None, **kwargs: Any
) -> dict[str, Any]:
    result = dict(hard_compute_score(data_source, solution_str, ground_truth, extra_info, **kwargs))
    result["score"] = 1.0
    return result
