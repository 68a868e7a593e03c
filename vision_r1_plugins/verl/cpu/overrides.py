"""What a verl run needs on CPU, as Hydra overrides and environment variables, and the settings it cannot take.

Pure data and checks (no verl import), so the CLI can merge them into a PTST run before anything starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vision_r1_plugins.core.errors import UsageError

CPU_OVERRIDES: dict[str, Any] = {
    "actor_rollout_ref.rollout.name": "hf",
    "actor_rollout_ref.rollout.tensor_model_parallel_size": 1,
    "actor_rollout_ref.rollout.agent.num_workers": 1,
    # The old/rollout log-prob gap (training/rollout_probs_diff_*) shows that the rollout uses synced weights.
    "actor_rollout_ref.rollout.calculate_log_probs": True,
    "actor_rollout_ref.actor.strategy": "fsdp2",  # FSDP1 refuses sync_module_states for CPU parameters
    "actor_rollout_ref.ref.strategy": "fsdp2",
    "actor_rollout_ref.model.use_remove_padding": False,  # needs flash-attention
    "+actor_rollout_ref.model.override_config.attn_implementation": "sdpa",
    "actor_rollout_ref.actor.fsdp_config.use_torch_compile": False,
    "actor_rollout_ref.ref.fsdp_config.use_torch_compile": False,
    "reward.num_workers": 1,
    "data.dataloader_num_workers": 0,
    "trainer.device": "cpu",
    "trainer.n_gpus_per_node": 1,
    "trainer.nnodes": 1,
    "trainer.use_v1": False,
    # verl's resource pools are GPU bundles: declare logical ones (the Ray resource name stays "GPU").
    "ray_kwargs.ray_init.num_cpus": 12,
    "+ray_kwargs.ray_init.num_gpus": 1,
    # The dashboard is a few more processes and seconds per run that a CPU run never looks at.
    "+ray_kwargs.ray_init.include_dashboard": False,
}
CPU_ENV: dict[str, str] = {
    "VISION_R1_VERL_CPU": "1",
    "VERL_PLATFORM": "cpu",
    "VERL_ENGINE_DEVICE": "cuda",
    # Without it Ray maps 127.0.0.1 to the machine's external address and listens there.
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "OMP_NUM_THREADS": "1",
    "TOKENIZERS_PARALLELISM": "false",
}
# Options only a GPU rollout engine reads; set on purpose with --cpu they would be silently meaningless.
GPU_ONLY_PREFIXES = (
    "actor_rollout_ref.rollout.gpu_memory_utilization",
    "actor_rollout_ref.rollout.enable_chunked_prefill",
    "actor_rollout_ref.rollout.enable_prefix_caching",
    "actor_rollout_ref.rollout.enforce_eager",
    "actor_rollout_ref.rollout.max_num_batched_tokens",
    "actor_rollout_ref.rollout.max_num_seqs",
    "actor_rollout_ref.rollout.max_model_len",
    "actor_rollout_ref.rollout.cudagraph_capture_sizes",
    "actor_rollout_ref.rollout.engine_kwargs",
    "actor_rollout_ref.rollout.expert_parallel_size",
)
PARALLEL_KEYS = (
    "actor_rollout_ref.rollout.tensor_model_parallel_size",
    "actor_rollout_ref.rollout.data_parallel_size",
    "actor_rollout_ref.rollout.pipeline_model_parallel_size",
)
ROLLOUT_NAME_KEY = "actor_rollout_ref.rollout.name"


def _bare(key: str) -> str:
    return key.lstrip("+~")


def gpu_only_settings(overrides: Mapping[str, Any]) -> list[str]:
    """The keys of ``overrides`` a CPU run cannot honour, each with why."""
    found = []
    for key, value in overrides.items():
        bare = _bare(key)
        if bare.startswith(GPU_ONLY_PREFIXES):
            found.append(f"{bare} (a vLLM/SGLang engine option)")
        elif bare in PARALLEL_KEYS and value is not None and int(value) > 1:
            found.append(f"{bare}={value} (the CPU rollout runs one model per worker)")
        elif bare == ROLLOUT_NAME_KEY and value != CPU_OVERRIDES[ROLLOUT_NAME_KEY]:
            found.append(f"{bare}={value} (--cpu rolls out with transformers: hf)")
    return found


def refuse_gpu_only(explicit: Mapping[str, Any]) -> None:
    """The user's own --set of a GPU-only option is an error naming it."""
    asked = gpu_only_settings(explicit)
    if asked:
        raise UsageError("--cpu cannot honour " + "; ".join(asked) + ": remove the --set")


def cpu_overrides(base: Mapping[str, Any], explicit: Mapping[str, Any], drop_gpu_settings: bool) -> dict[str, Any]:
    """``base`` (a schedule's overrides) with CPU's settings applied, then ``explicit`` (the user's --set).

    A GPU-only option in ``explicit`` is an error naming it. In ``base`` it is an error too, unless
    ``drop_gpu_settings`` (the smoke test, which runs a GPU recipe on CPU on purpose) removes it."""
    refuse_gpu_only(explicit)
    in_base = gpu_only_settings(base)
    if in_base and not drop_gpu_settings:
        raise UsageError("--cpu cannot honour the schedule's " + "; ".join(in_base)
                         + ": remove them from its verl block, or use --smoke to run a GPU recipe on CPU")  # fmt: skip
    kept = {key: value for key, value in base.items() if not gpu_only_settings({key: value})}
    cpu = dict(CPU_OVERRIDES)
    # verl's Hydra config already has these keys when the schedule sets them: drop our "+" (append) form then.
    for key in list(cpu):
        if key.startswith("+") and key[1:] in kept:
            cpu[key[1:]] = cpu.pop(key)
    return {**kept, **cpu, **explicit}
