"""``vision-r1 ptst run RECIPE.yaml --cpu --smoke``: the user's recipe, shrunk to a few CPU steps per stage.

Kept from the recipe: its stages (names, order, which is shorter and which has more rollouts), its reward and
reward options, its data files, its algorithm and loss settings, its checkpoint and resume behaviour. Shrunk: 2
steps per stage, responses of 16-64 tokens, ``n`` scaled down but above 1, batches of 2 prompts, the tiny model.
Not checked: GPU memory, vLLM (or SGLang) itself, multi-GPU sharding, real lengths and real throughput.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from vision_r1_plugins.ptst.schedule import Schedule

SMOKE_STEPS = 2
SMOKE_BATCH = 2
SMOKE_LENGTHS = (16, 32, 64)
# Keys the smoke run sets itself; the recipe's values are for its GPUs and its real model.
_REPLACED = (
    "data.train_batch_size",
    "actor_rollout_ref.actor.ppo_mini_batch_size",
    "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu",
    "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu",
    "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu",
    "actor_rollout_ref.model.path",
    "actor_rollout_ref.model.enable_gradient_checkpointing",
    "trainer.save_freq",
    "trainer.test_freq",
    "trainer.val_before_train",
)


def smoke_schedule(schedule: Schedule, model_path: str, checkpoint_dir: str | None = None) -> Schedule:
    lengths = sorted({stage.max_response_length for stage in schedule.stages})
    rank = {length: min(index, len(SMOKE_LENGTHS) - 1) for index, length in enumerate(lengths)}
    largest_n = max(stage.rollout_n for stage in schedule.stages)
    # The largest n becomes 4, the others shrink in proportion, never below 2 (GRPO needs a group).
    stages = tuple(
        replace(
            stage,
            steps=SMOKE_STEPS,
            max_response_length=SMOKE_LENGTHS[rank[stage.max_response_length]],
            rollout_n=max(2, round(stage.rollout_n * 4 / largest_n)),
        )
        for stage in schedule.stages
    )
    verl: dict[str, Any] = {key: value for key, value in schedule.verl.items() if key not in _REPLACED}
    verl.update(
        {
            "data.train_batch_size": SMOKE_BATCH,
            "actor_rollout_ref.actor.ppo_mini_batch_size": SMOKE_BATCH,
            "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu": SMOKE_BATCH,
            "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu": SMOKE_BATCH,
            "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu": SMOKE_BATCH,
            "actor_rollout_ref.model.path": model_path,
            "trainer.test_freq": -1,
            "trainer.val_before_train": False,
        }
    )
    return replace(
        schedule,
        name=f"{schedule.name}-smoke",
        stages=stages,
        verl=verl,
        allow_budget_change=True,
        checkpoint_dir=checkpoint_dir or f"{schedule.checkpoint_dir.rstrip('/')}-smoke",
    )
