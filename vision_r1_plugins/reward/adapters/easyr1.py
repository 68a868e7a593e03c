"""The reward as an EasyR1 batch reward function.

EasyR1 loads reward functions from a file path, so point it at this file::

    worker.reward.reward_type=batch
    worker.reward.reward_function=$(vision-r1 reward easyr1-path):compute_score

It calls ``compute_score(reward_inputs, **reward_function_kwargs)`` with dicts holding ``response``,
``response_length`` and ``ground_truth`` and averages every returned key as a metric, so only numbers
come back: ``overall``, ``format`` and ``accuracy``.
"""

from __future__ import annotations

from typing import Any

from vision_r1_plugins.reward.scorer import options_from_kwargs, score_many


def compute_score(reward_inputs: list[dict[str, Any]], **options: Any) -> list[dict[str, float]]:
    if not isinstance(reward_inputs, list):
        raise ValueError("EasyR1 batch rewards take a list of reward inputs; set worker.reward.reward_type=batch")
    responses = [item.get("response", "") for item in reward_inputs]
    golds = [item.get("ground_truth") for item in reward_inputs]
    extras = [{"choices": item["choices"]} if "choices" in item else None for item in reward_inputs]
    results = score_many(responses, golds, extras, options_from_kwargs(options))
    return [
        {
            "overall": float(result["score"]),
            "format": float(result["format_ok"]),
            "accuracy": float(result["answer_ok"]),
        }
        for result in results
    ]
