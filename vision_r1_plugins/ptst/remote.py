"""What the PTST trainer runs inside other Ray actors (``actor.__ray_call__.remote(fn, ...)``).

Kept apart from :mod:`vision_r1_plugins.ptst.hook` so that a rollout server (vLLM's, or the CPU ``hf`` one)
unpickling the function imports only this small module, not verl's trainer.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, open_dict


def set_stage_shape(actor: Any, response_length: int, rollout_n: int | None = None) -> int:
    """Run inside an agent-loop worker or a rollout server (``__ray_call__``): set every config copy it reads the
    response length from, and ``rollout.n`` where the actor reads it (verl's V1 agent-loop workers fan each prompt
    out to ``n`` requests themselves; the classic trainer repeats the batch instead). Returns how many config
    copies were set, so the caller can tell that the RPC reached one."""
    changed = 0
    rollout_config = getattr(actor, "rollout_config", None)
    if rollout_config is not None and hasattr(rollout_config, "response_length"):
        rollout_config.response_length = response_length  # the agent-loop worker's padding
        changed += 1
    config = getattr(actor, "config", None)
    if isinstance(config, DictConfig) and "actor_rollout_ref" in config:
        with open_dict(config):  # what each agent loop reads when it builds a request
            config.actor_rollout_ref.rollout.response_length = response_length
            if rollout_n is not None:
                config.actor_rollout_ref.rollout.n = rollout_n
        changed += 1
    elif config is not None and hasattr(config, "response_length"):
        config.response_length = response_length  # a rollout server's RolloutConfig (the default max_tokens)
        changed += 1
    return changed
