"""PTST schedules for CPU runs of the tiny model (tests and benchmarks): GRPO on the sample problems, batch 2,
the stages given, everything else as small as verl allows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# The two-stage shape CPU runs use: short responses with many rollouts, then longer with fewer (PTST in miniature).
CPU_STAGES: tuple[dict[str, Any], ...] = (
    {"name": "short_many", "max_response_length": 16, "rollout_n": 4, "steps": 2},
    {"name": "long_few", "max_response_length": 32, "rollout_n": 2, "steps": 2},
)


def write_cpu_schedule(
    folder: Path,
    model: Path,
    data: Path,
    stages: list[dict[str, Any]] | tuple[dict[str, Any], ...] = CPU_STAGES,
    name: str = "cpu_ptst",
    **verl: Any,
) -> Path:
    """``folder/schedule.yaml`` with checkpoints in ``folder/checkpoints``; ``verl`` overrides are added last."""
    schedule = {
        "name": name,
        "checkpoint_dir": str(folder / "checkpoints"),
        "allow_budget_change": True,
        "reward": {"mode": "hard"},
        "stages": [dict(stage) for stage in stages],
        "verl": {
            "algorithm.adv_estimator": "grpo",
            "data.train_files": str(data),
            "data.val_files": str(data),
            "data.max_prompt_length": 512,
            "data.train_batch_size": 2,
            "actor_rollout_ref.model.path": str(model),
            "actor_rollout_ref.actor.ppo_mini_batch_size": 2,
            "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu": 4,
            "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu": 4,
            "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu": 4,
            "actor_rollout_ref.actor.optim.lr": 1.0e-3,
            "actor_rollout_ref.actor.use_kl_loss": True,
            "actor_rollout_ref.actor.kl_loss_coef": 0.01,
            "actor_rollout_ref.actor.kl_loss_type": "low_var_kl",
            "trainer.logger": ["console", "file"],
            "trainer.test_freq": -1,
            "trainer.val_before_train": False,
            **verl,
        },
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "schedule.yaml"
    path.write_text(yaml.safe_dump(schedule, sort_keys=False))
    return path
