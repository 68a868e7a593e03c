"""PTST on verl's V1 trainer (``trainer.use_v1=true``, verl 0.9.1's default): its ``sync`` trainer with the stage
switch of :class:`vision_r1_plugins.ptst.hook.StageSwitch`. Apart from :mod:`vision_r1_plugins.ptst.hook` because
the V1 trainer imports TransferQueue, which the classic trainer's environment need not have."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig
from verl.trainer.ppo.v1 import PPOTrainerSync

from vision_r1_plugins.ptst.hook import StageSwitch


class PTSTTrainerV1(StageSwitch, PPOTrainerSync):
    """verl's V1 ``sync`` trainer running every PTST stage in one process."""

    def __init__(self, config: DictConfig) -> None:
        super().__init__(config)
        self._init_stages()

    def _agent_loop_workers(self) -> list[Any]:
        return list(getattr(self.agent_loop_manager, "agent_loop_workers", []))

    # -- called first by every step(), before the step's prompts go to the agent-loop workers
    def prepare_step(self) -> dict:
        self._switch_for_step()
        return super().prepare_step()

    # -- every step's metrics carry the stage
    def _update_actor(self, batch: Any, metrics: dict) -> Any:
        batch = super()._update_actor(batch, metrics)
        metrics.update(self._stage_metrics())
        return batch
