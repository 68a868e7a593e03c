"""PTST inside one verl run: a trainer that switches ``rollout.n`` and the response length at stage boundaries.

Both of verl 0.9.1's trainers can host it:

- the classic one (``trainer.use_v1=false``, :class:`PTSTTrainer`, a ``RayPPOTrainer``): it reads ``rollout.n``
  from its config at every step (batch repeat, mini-batch size, GRPO grouping) right after ``fit()`` calls
  ``_get_gen_batch``, so setting it there switches every use at once;
- the V1 trainer, verl's default (``trainer.use_v1=true``, :class:`PTSTTrainerV1`, a ``PPOTrainerSync``): it reads
  ``rollout.n`` on its side for mini-batch sizes and GRPO grouping, and its agent-loop workers fan each prompt out
  to ``n`` requests from their own config copy; the switch happens in ``prepare_step``, before the step's prompts
  are submitted.

The response length is read in other processes from their own config copies, the agent-loop workers (request
budget and output padding) and the rollout servers (default ``max_tokens``), so the new value (and ``n``) is
pushed to each of them by Ray RPC. What verl fixes at start (dynamic-batch token caps, vLLM's ``max_model_len``)
is sized for the longest stage by the schedule. The stage is derived from ``global_steps`` at every step, so a
resumed run lands in the right stage without any state of its own.

The stages come from the verl config (``ptst.stages``, a list of ``{name, max_response_length, rollout_n, steps}``),
which is what ``vision-r1 ptst run`` writes and what a user's own Hydra command can pass (``+ptst.stages=[...]``).
The stage runner (``--mode stages``) uses the same trainer, pinned to one stage per process (``ptst.stage``), so
both modes log the same per-step metrics.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import ray
from omegaconf import DictConfig, OmegaConf, open_dict
from verl.trainer.main_ppo import TaskRunnerV1
from verl.trainer.main_ppo_v0 import BaseTaskRunner
from verl.trainer.ppo.ray_trainer import RayPPOTrainer

from vision_r1_plugins.ptst.adaptive import (
    SwitchState,
    load_state,
    save_state,
    should_switch,
    signal_value,
    stage_ends,
    stage_for_step,
)
from vision_r1_plugins.ptst.remote import set_stage_shape
from vision_r1_plugins.ptst.schedule import Stage, pinned_stage, stages_from_config

logger = logging.getLogger(__name__)

# Metric names each step's record carries (numbers only: verl's loggers reduce and print them).
STAGE_INDEX_METRIC = "ptst/stage_index"
ROLLOUT_N_METRIC = "ptst/rollout_n"
RESPONSE_LIMIT_METRIC = "ptst/response_length_limit"
# Adaptive stages: the step's value of the stage's switch signal, and 1 on the step that ended the stage early.
SWITCH_SIGNAL_METRIC = "ptst/switch_signal"
SWITCHED_METRIC = "ptst/switched"


class StageSwitch:
    """What both trainers share: the stages, entering one (local config, then every remote copy), a checkpoint at
    each stage boundary, and the stage's metrics. Mixed into a verl trainer that has ``config``,
    ``global_steps``, ``total_training_steps`` and ``llm_server_manager``."""

    config: Any
    global_steps: int
    total_training_steps: int
    llm_server_manager: Any

    def _init_stages(self) -> None:
        self.ptst_stages: tuple[Stage, ...] = stages_from_config(self.config)
        self.ptst_stage_index: int | None = None
        # The stage runner (--mode stages) starts one process per stage, each pinned to its stage.
        self.ptst_pinned = pinned_stage(self.config)
        save_freq = int(self.config.trainer.save_freq)
        self._user_save_freq = save_freq if save_freq > 0 else None
        # Adaptive stages' decisions; restored from the checkpoint a run resumes from (_restore_switches).
        self.ptst_switches = SwitchState()
        self._step_metrics: dict[str, float] = {}

    def _stage_ends(self) -> list[int]:
        return stage_ends([stage.steps for stage in self.ptst_stages], self.ptst_switches.ended)

    def _agent_loop_workers(self) -> list[Any]:
        raise NotImplementedError

    def _switch_for_step(self) -> None:
        index = (
            self.ptst_pinned if self.ptst_pinned is not None else stage_for_step(self._stage_ends(), self.global_steps)
        )
        self._enter_stage(index)
        self._set_save_freq(self.global_steps)

    def _enter_stage(self, index: int) -> None:
        if index == self.ptst_stage_index:
            return
        stage = self.ptst_stages[index]
        with open_dict(self.config):
            self.config.actor_rollout_ref.rollout.n = stage.rollout_n
            self.config.actor_rollout_ref.rollout.response_length = stage.max_response_length
        reached = self._push_stage_shape(stage)
        logger.warning(
            "PTST: step %d enters stage %d/%d %s (n=%d, response length %d; %d remote configs set)",
            self.global_steps,
            index + 1,
            len(self.ptst_stages),
            stage.name,
            stage.rollout_n,
            stage.max_response_length,
            reached,
        )
        self.ptst_stage_index = index

    def _push_stage_shape(self, stage: Stage) -> int:
        workers = self._agent_loop_workers()
        servers = [server for replica in self.llm_server_manager.get_replicas() for server in replica.servers]
        if not workers or not servers:
            raise RuntimeError(
                "PTST cannot reach the agent-loop workers or rollout servers to set the response "
                "length; this verl version's rollout layout is not supported"
            )
        results = ray.get(
            [
                actor.__ray_call__.remote(set_stage_shape, stage.max_response_length, stage.rollout_n)
                for actor in [*workers, *servers]
            ]
        )
        if not all(results):
            raise RuntimeError("PTST: a rollout worker or server has no response_length setting to switch")
        return sum(results)

    def _set_save_freq(self, step: int) -> None:
        # A checkpoint at every stage boundary (the stage runner's resume points), plus the user's save_freq.
        save_freq = 1 if step in self._stage_ends() else self._user_save_freq or self.total_training_steps + 1
        with open_dict(self.config):
            self.config.trainer.save_freq = save_freq

    def _observe(self, clip_ratio: float, reward: float) -> None:
        """One step's numbers for the current stage's switch rule; ends the stage here when the rule fires."""
        index = self.ptst_stage_index or 0
        rule = self.ptst_stages[index].switch
        self._step_metrics = {}
        if rule is None or self.ptst_pinned is not None or index == len(self.ptst_stages) - 1:
            return
        value = signal_value(rule, clip_ratio, reward)
        # A resumed stage continues its own history (saved with the checkpoint); a new stage starts afresh.
        switched = should_switch(rule, self.ptst_switches.observe(index, value))
        self._step_metrics = {SWITCH_SIGNAL_METRIC: value, SWITCHED_METRIC: float(switched)}
        if not switched:
            return
        stage = self.ptst_stages[index]
        self.ptst_switches.ended[index] = self.global_steps
        self.ptst_switches.reasons[index] = rule.describe()
        # The steps the stage did not use are not given to later stages: the run ends earlier.
        self.total_training_steps = self._stage_ends()[-1]
        self._set_save_freq(self.global_steps)  # a checkpoint at this boundary, as at a planned one
        logger.warning(
            "PTST: stage %s ends at step %d (%s; upper bound %d steps); the run now ends at step %d",
            stage.name,
            self.global_steps,
            rule.describe(),
            stage.steps,
            self.total_training_steps,
        )

    def _restore_switches(self, folder: str) -> None:
        """After verl loaded a checkpoint: the switch decisions saved with it."""
        saved = load_state(folder)
        if saved is None:
            return
        self.ptst_switches = saved[0]
        self.total_training_steps = min(self.total_training_steps, self._stage_ends()[-1])
        logger.warning(
            "PTST: resumed with the stage switches saved in %s (%s)",
            folder,
            self.ptst_switches.to_json()["ended"] or "none early",
        )

    def _save_switches(self, folder: str) -> None:
        save_state(folder, self.ptst_switches, self.total_training_steps)

    def _checkpoint_folder(self) -> str:
        root = str(self.config.trainer.default_local_dir)
        if not os.path.isabs(root):  # as verl resolves it
            root = os.path.join(os.getcwd(), root)
        return os.path.join(root, f"global_step_{self.global_steps}")

    def _resumed_folder(self) -> str | None:
        if not self.global_steps:
            return None
        if self.config.trainer.resume_mode == "resume_path" and self.config.trainer.get("resume_from_path"):
            return str(self.config.trainer.resume_from_path)
        return self._checkpoint_folder()

    def _stage_metrics(self) -> dict[str, float]:
        stage = self.ptst_stages[self.ptst_stage_index or 0]
        return {
            STAGE_INDEX_METRIC: float(self.ptst_stage_index or 0),
            ROLLOUT_N_METRIC: float(stage.rollout_n),
            RESPONSE_LIMIT_METRIC: float(stage.max_response_length),
            **self._step_metrics,
        }


def batch_signals(batch: Any, response_limit: int) -> tuple[float, float]:
    """A classic-trainer step's (clip ratio, mean reward): the share of responses that reached the stage's length
    limit, and the mean sequence score (what verl logs as response_length/clip_ratio and critic/score/mean)."""
    tensors = batch.batch
    # TensorDict refuses `key in td`: it wants keys().
    lengths = tensors["response_mask"].sum(-1) if "response_mask" in tensors.keys() else None  # noqa: SIM118
    if lengths is None:
        width = tensors["responses"].shape[-1]
        lengths = tensors["attention_mask"][:, -width:].sum(-1)
    scores = tensors["token_level_scores"].sum(-1)
    return float((lengths >= response_limit).float().mean()), float(scores.float().mean())


class PTSTTrainer(StageSwitch, RayPPOTrainer):
    """``RayPPOTrainer`` (verl's classic trainer) running every PTST stage in one process."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_stages()

    def _agent_loop_workers(self) -> list[Any]:
        return list(getattr(self.async_rollout_manager, "agent_loop_workers", []))

    # -- called by fit() once per step, before the rollout
    def _get_gen_batch(self, batch: Any) -> Any:
        self._switch_for_step()
        return super()._get_gen_batch(batch)

    # -- every step's metrics carry the stage: the actor update's metrics are merged into the step's record. The
    # update comes before verl's checkpoint decision, so an adaptive stage can end (and checkpoint) at this step.
    def _update_actor(self, batch: Any) -> Any:
        stage = self.ptst_stages[self.ptst_stage_index or 0]
        self._observe(*batch_signals(batch, stage.max_response_length))
        output = super()._update_actor(batch)
        output.meta_info.setdefault("metrics", {}).update(self._stage_metrics())
        return output

    # -- the switch decisions travel with each checkpoint
    def _save_checkpoint(self) -> None:
        super()._save_checkpoint()
        self._save_switches(self._checkpoint_folder())

    def _load_checkpoint(self) -> Any:
        loaded = super()._load_checkpoint()
        folder = self._resumed_folder()
        if folder is not None:
            self._restore_switches(folder)
        return loaded


@ray.remote(num_cpus=1)
class PTSTTaskRunner(BaseTaskRunner):
    """verl's classic ``TaskRunner``, building :class:`PTSTTrainer`. Started through verl's own
    ``run_ppo(config, task_runner_class=PTSTTaskRunner)``: Ray ships this class to the runner actor, so the trainer
    it builds is ours (replacing ``RayPPOTrainer`` in verl's module globals would not reach that actor)."""

    def run(self, config: DictConfig) -> None:
        from verl.trainer.ppo.utils import create_rl_dataset, create_rl_sampler, need_critic, need_reference_policy
        from verl.utils.config import omega_conf_to_dataclass, validate_config
        from verl.utils.dataset.rl_dataset import collate_fn
        from verl.workers.config import HFModelConfig

        OmegaConf.resolve(config)
        actor_rollout_cls, ray_worker_group_cls = self.add_actor_rollout_worker(config)
        self.add_critic_worker(config)
        self.add_reward_model_resource_pool(config)
        self.add_teacher_model_resource_pool(config)
        self.add_ref_policy_worker(config, actor_rollout_cls)
        validate_config(
            config=config, use_reference_policy=need_reference_policy(config), use_critic=need_critic(config)
        )
        model_config: HFModelConfig = omega_conf_to_dataclass(config.actor_rollout_ref.model)
        tokenizer, processor = model_config.tokenizer, model_config.processor
        train_dataset = create_rl_dataset(
            config.data.train_files,
            config.data,
            tokenizer,
            processor,
            is_train=True,
            max_samples=config.data.get("train_max_samples", -1),
        )
        val_dataset = create_rl_dataset(
            config.data.val_files,
            config.data,
            tokenizer,
            processor,
            is_train=False,
            max_samples=config.data.get("val_max_samples", -1),
        )
        trainer = PTSTTrainer(
            config=config,
            tokenizer=tokenizer,
            processor=processor,
            role_worker_mapping=self.role_worker_mapping,
            resource_pool_manager=self.init_resource_pool_mgr(config),
            ray_worker_group_cls=ray_worker_group_cls,
            train_dataset=train_dataset,
            val_dataset=val_dataset,
            collate_fn=collate_fn,
            train_sampler=create_rl_sampler(config.data, train_dataset),
        )
        trainer.init_workers()
        trainer.fit()


@ray.remote(num_cpus=1)
class PTSTTaskRunnerV1(TaskRunnerV1.__ray_actor_class__):  # type: ignore[misc, name-defined]
    """verl's ``TaskRunnerV1`` (the default trainer's), running
    :class:`vision_r1_plugins.ptst.hook_v1.PTSTTrainerV1` in ``trainer.v1.trainer_mode=sync``."""

    def run(self, config: DictConfig) -> None:
        from verl.trainer.ppo.v1 import trainer_base

        from vision_r1_plugins.ptst.hook_v1 import PTSTTrainerV1

        # verl looks the trainer class up by mode name inside this actor: only this process's registry changes, and
        # the mode stays "sync" because verl's V1 code branches on that name (replay buffer, checkpoints).
        trainer_base.TRAINER_REGISTRY["sync"] = PTSTTrainerV1
        super().run(config)
