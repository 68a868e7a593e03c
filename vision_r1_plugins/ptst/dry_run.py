"""``vision-r1 ptst run --dry-run``: compose every stage's full verl config and validate it, on CPU, without Ray.

It runs what ``verl.trainer.main_ppo`` runs before starting workers (Hydra composition of ``ppo_trainer``,
``auto_set_device``, ``validate_config``), the dataclass conversions the workers do later (rollout, reference
policy, model config: tokenizer and processor load) and the custom reward loading, then the checks verl only
makes at runtime on GPUs (``seqlen_balancing``'s token-length assert, worker batch divisibility), so a misspelt
key or a too-small token limit fails here instead of an hour into a cluster job.
"""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.ptst.schedule import format_override


class DryRunError(UsageError):
    pass


@dataclass(frozen=True)
class DryRunResult:
    response_length: int
    prompt_length: int
    rollout_n: int
    total_training_steps: int
    resume_mode: str
    resume_from_path: str | None
    token_limits: dict[str, int]


def compose_config(overrides: dict[str, Any]) -> Any:
    import verl
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    config_dir = str(Path(verl.__file__).parent / "trainer" / "config")
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=config_dir, version_base=None):
        return compose(config_name="ppo_trainer", overrides=[format_override(k, v) for k, v in overrides.items()])


def _reference_config(config: Any) -> Any:
    """The reference policy's actor config as verl's workers derive it (log_prob_* become ppo_*)."""
    from omegaconf import OmegaConf, open_dict

    reference = OmegaConf.create(OmegaConf.to_container(config.actor_rollout_ref.ref))
    with open_dict(reference):
        reference.ppo_mini_batch_size = config.actor_rollout_ref.actor.ppo_mini_batch_size
        reference.ppo_micro_batch_size = reference.pop("log_prob_micro_batch_size", None)
        reference.ppo_micro_batch_size_per_gpu = reference.pop("log_prob_micro_batch_size_per_gpu", None)
        reference.use_dynamic_bsz = reference.pop("log_prob_use_dynamic_bsz", False)
        reference.ppo_max_token_len_per_gpu = reference.pop("log_prob_max_token_len_per_gpu", None)
    return reference


def dry_run_stage(overrides: dict[str, Any]) -> DryRunResult:
    """Compose and validate one stage. Raises :class:`DryRunError` listing every problem found."""
    from omegaconf import OmegaConf
    from verl.trainer.ppo.reward import get_custom_reward_fn, resolve_reward_manager_cls
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import omega_conf_to_dataclass, validate_config
    from verl.utils.device import auto_set_device
    from verl.workers.config import HFModelConfig, RolloutConfig

    try:
        config = compose_config(overrides)
        auto_set_device(config)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            use_reference, use_critic = need_reference_policy(config), need_critic(config)
        validate_config(config, use_reference_policy=use_reference, use_critic=use_critic)
        OmegaConf.resolve(config)
        omega_conf_to_dataclass(config.algorithm)
        omega_conf_to_dataclass(config.actor_rollout_ref.actor)
        omega_conf_to_dataclass(config.actor_rollout_ref.rollout, RolloutConfig)
        if use_reference:
            omega_conf_to_dataclass(_reference_config(config))
        resolve_reward_manager_cls(config)
        model = omega_conf_to_dataclass(config.actor_rollout_ref.model, HFModelConfig)
        reward = get_custom_reward_fn(config)
    except Exception as error:  # Hydra, OmegaConf and verl raise many types; all mean "this stage won't start"
        raise DryRunError(f"{type(error).__name__}: {error}") from error

    problems = []
    actor, rollout, reference = (
        config.actor_rollout_ref.actor,
        config.actor_rollout_ref.rollout,
        config.actor_rollout_ref.ref,
    )
    data, trainer = config.data, config.trainer
    if reward is None:
        problems.append("no custom reward function: verl would fall back to its default reward")
    sequence = data.max_prompt_length + data.max_response_length
    parallel = actor.get("ulysses_sequence_parallel_size", 1) or 1
    limits = {
        "actor.ppo_max_token_len_per_gpu": actor.ppo_max_token_len_per_gpu,
        "rollout.log_prob_max_token_len_per_gpu": rollout.log_prob_max_token_len_per_gpu,
        "ref.log_prob_max_token_len_per_gpu": reference.log_prob_max_token_len_per_gpu,
    }
    if actor.use_dynamic_bsz:
        for name, limit in limits.items():
            if limit * parallel < sequence:  # verl/utils/seqlen_balancing.py asserts this on the first batch
                problems.append(f"{name}={limit} < prompt + response = {sequence}")
    if actor.use_dynamic_bsz != rollout.log_prob_use_dynamic_bsz:
        problems.append("actor.use_dynamic_bsz and rollout.log_prob_use_dynamic_bsz differ (a worker assert)")
    gpus = trainer.n_gpus_per_node * trainer.nnodes
    inference = rollout.tensor_model_parallel_size * rollout.data_parallel_size * rollout.pipeline_model_parallel_size
    if gpus % inference:
        problems.append(f"{gpus} GPUs are not a multiple of rollout TP x DP x PP = {inference}")
    if (actor.ppo_mini_batch_size * rollout.n) % max(gpus // parallel, 1):
        problems.append(
            f"ppo_mini_batch_size x n = {actor.ppo_mini_batch_size * rollout.n} does not split over "
            f"{gpus // parallel} data-parallel ranks"
        )
    if rollout.max_model_len is not None and rollout.max_model_len < sequence:
        problems.append(f"rollout.max_model_len={rollout.max_model_len} < prompt + response = {sequence}")
    text_config = getattr(model.hf_config, "text_config", None) or model.hf_config
    positions = getattr(text_config, "max_position_embeddings", None)
    if positions and sequence > positions:
        problems.append(f"prompt + response = {sequence} exceeds the model's max_position_embeddings {positions}")
    if trainer.get("use_v1", True) and importlib.util.find_spec("transfer_queue") is None:
        problems.append(
            "trainer.use_v1=true needs the TransferQueue package (verl[vllm] installs it); "
            "install it or set trainer.use_v1=false"
        )
    if problems:
        raise DryRunError("; ".join(problems))
    return DryRunResult(
        response_length=int(data.max_response_length),
        prompt_length=int(data.max_prompt_length),
        rollout_n=int(rollout.n),
        total_training_steps=int(trainer.total_training_steps),
        resume_mode=str(trainer.resume_mode),
        resume_from_path=trainer.resume_from_path,
        token_limits={name: int(limit) for name, limit in limits.items()},
    )
