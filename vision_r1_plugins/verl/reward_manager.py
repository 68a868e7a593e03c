"""A verl reward-loop manager that scores with the Vision-R1 reward: ``reward.reward_manager.name=vision_r1``.

It differs from verl's ``naive`` manager in what matters for this reward: it uses our ``compute_score`` even
when no ``custom_reward_function.path`` is set (``naive`` would fall back to ``default_compute_score``, which
silently scores known data sources with another reward), it reads our options from ``reward_kwargs``, it
tolerates rows whose ``extra_info`` is None, and it does not mutate the dataset's ``extra_info`` in place.
verl's reward loop runs ``run_single`` for every row of a batch concurrently; each call waits in a thread
on the shared pool of verifier processes, so the batch is verified in parallel processes.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from verl import DataProto
from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase
from verl.utils.reward_score import default_compute_score

from vision_r1_plugins.reward import RewardOptions
from vision_r1_plugins.reward import compute_score as vision_r1_compute_score

MANAGER_NAME = "vision_r1"


def reward_options_from_config(config: Any) -> dict[str, Any]:
    """Options from ``reward.reward_kwargs`` and ``reward.custom_reward_function.reward_kwargs`` (the latter
    wins, as in verl). Unknown keys raise here, at start-up, rather than being ignored for a whole run."""
    reward = config.get("reward", {}) if config is not None else {}
    merged: dict[str, Any] = {}
    for section in (reward.get("reward_kwargs"), (reward.get("custom_reward_function") or {}).get("reward_kwargs")):
        if section:
            merged.update(dict(section))
    RewardOptions.from_kwargs(merged)  # raises on a misspelt option, at start-up
    return merged


def is_verl_default(compute_score: Any) -> bool:
    """verl hands managers its default reward when no function path is set: plain, or a partial carrying the
    sandbox settings when ``reward.sandbox_fusion.url`` is set."""
    if isinstance(compute_score, functools.partial):
        compute_score = compute_score.func
    return compute_score is None or compute_score is default_compute_score


class VisionR1RewardManager(RewardManagerBase):
    def __init__(
        self,
        config: Any,
        tokenizer: Any,
        compute_score: Any = None,
        reward_router_address: str | None = None,
        reward_model_tokenizer: Any = None,
    ) -> None:
        super().__init__(config, tokenizer, compute_score)
        if is_verl_default(compute_score):
            compute_score = functools.partial(vision_r1_compute_score, **reward_options_from_config(config))
        self.compute_score = compute_score
        self.is_async_reward_score = inspect.iscoroutinefunction(compute_score)

    def _decode(self, data_item: Any) -> str:
        response_ids = data_item.batch["responses"]
        valid_length = int(data_item.batch["attention_mask"][-response_ids.shape[-1] :].sum())
        return self.tokenizer.decode(response_ids[:valid_length], skip_special_tokens=True)

    async def run_single(self, data: DataProto) -> dict:
        data_item = data[-1:][0]  # multi-sequence outputs are scored on their last sequence, as verl does
        non_tensor = data_item.non_tensor_batch
        kwargs = {
            "data_source": non_tensor.get("data_source"),
            "ground_truth": (non_tensor.get("reward_model") or {}).get("ground_truth"),
            "extra_info": dict(non_tensor.get("extra_info") or {}),
        }
        if self.is_async_reward_score:
            solution = await self.loop.run_in_executor(None, self._decode, data_item)
            result = await self.compute_score(solution_str=solution, **kwargs)
        else:
            result = await self.loop.run_in_executor(
                None, lambda: self.compute_score(solution_str=self._decode(data_item), **kwargs)
            )
        if isinstance(result, dict):
            return {"reward_score": float(result["score"]), "reward_extra_info": dict(result)}
        return {"reward_score": float(result), "reward_extra_info": {"acc": float(result)}}
