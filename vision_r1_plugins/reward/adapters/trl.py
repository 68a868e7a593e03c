"""The reward as a TRL ``GRPOTrainer`` reward function.

TRL calls ``reward_func(prompts=..., completions=..., completion_ids=..., **columns)`` where every other
dataset column arrives as a list, one value per completion, and expects ``list[float]`` back.

>>> from trl import GRPOTrainer
>>> from vision_r1_plugins.reward.adapters.trl import vision_r1_reward
>>> trainer = GRPOTrainer(model=..., reward_funcs=[vision_r1_reward], train_dataset=dataset)  # column "solution"

For another ground-truth column or other options: ``make_trl_reward(ground_truth_key="answer", mode="sum")``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vision_r1_plugins.reward.scorer import options_from_kwargs, score_many

GROUND_TRUTH_KEYS = ("solution", "ground_truth", "answer")


def completion_text(completion: Any) -> str:
    """Plain completions are strings; conversational ones are ``[{"role": "assistant", "content": ...}]``
    whose content may itself be a list of typed parts (multimodal chat)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return completion_text(completion.get("content", ""))
    if isinstance(completion, list):
        parts = []
        for item in completion:
            if isinstance(item, dict) and item.get("type") not in (None, "text"):
                continue
            parts.append(item.get("text", item.get("content", "")) if isinstance(item, dict) else item)
        return "".join(completion_text(part) for part in parts)
    return "" if completion is None else str(completion)


def make_trl_reward(
    ground_truth_key: str | None = None, choices_key: str = "choices", **options: Any
) -> Callable[..., list[float]]:
    """Build a TRL reward function. ``ground_truth_key=None`` takes the first of ``solution``,
    ``ground_truth``, ``answer`` that the dataset has."""
    parsed = options_from_kwargs(options)

    def vision_r1_reward(completions: list[Any], **kwargs: Any) -> list[float]:
        key = ground_truth_key or next((name for name in GROUND_TRUTH_KEYS if name in kwargs), None)
        if key is None or key not in kwargs:
            wanted = ground_truth_key or " / ".join(GROUND_TRUTH_KEYS)
            raise KeyError(f"vision_r1_reward needs a ground-truth column ({wanted}); got {sorted(kwargs)}")
        choices = kwargs.get(choices_key)
        extra = [{"choices": item} for item in choices] if choices is not None else None
        texts = [completion_text(completion) for completion in completions]
        results = score_many(texts, kwargs[key], extra, parsed)
        return [float(result["score"]) for result in results]

    return vision_r1_reward


vision_r1_reward = make_trl_reward()
