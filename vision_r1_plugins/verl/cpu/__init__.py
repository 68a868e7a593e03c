"""verl on CPU, opt-in: a ``cpu`` platform, an ``hf`` rollout backend and two compatibility fixes.

Nothing here is loaded unless asked for: ``vision-r1 ptst run ... --cpu`` sets ``VISION_R1_VERL_CPU=1`` (and the
Hydra overrides CPU needs, see :mod:`vision_r1_plugins.verl.cpu.overrides`); verl imports our ``verl.plugins`` entry
point in every process, and that entry point calls :func:`enable` only when the variable is set. Users running
``python -m verl.trainer.main_ppo`` themselves set the same variable.
"""

from __future__ import annotations

import os

ENV_SWITCH = "VISION_R1_VERL_CPU"
ROLLOUT_NAME = "hf"
# What the switch implies for verl itself: pick our platform, and look FSDP engines up under "cuda" (verl
# registers them for cuda and npu only; the engine code runs on CPU tensors unchanged).
IMPLIED_ENV = {"VERL_PLATFORM": "cpu", "VERL_ENGINE_DEVICE": "cuda"}

_enabled = False


def requested(environ: os._Environ[str] | dict[str, str] = os.environ) -> bool:
    return environ.get(ENV_SWITCH, "").strip().lower() in {"1", "true", "yes", "on"}


def enable() -> None:
    """Register the CPU platform and the hf rollout backend in this process. Idempotent."""
    global _enabled
    if _enabled:
        return
    for name, value in IMPLIED_ENV.items():
        os.environ.setdefault(name, value)
    from verl.workers.rollout import base, replica

    from vision_r1_plugins.verl.cpu.compat import gloo_only_process_group, unpinned_cpu_offload
    from vision_r1_plugins.verl.cpu.platform import register_platform

    register_platform()
    gloo_only_process_group()
    unpinned_cpu_offload()
    base._ROLLOUT_REGISTRY[(ROLLOUT_NAME, "async")] = "vision_r1_plugins.verl.cpu.rollout.HFServerAdapter"
    replica.RolloutReplicaRegistry.register(ROLLOUT_NAME, _load_replica)
    _enabled = True


def _load_replica() -> type:
    from vision_r1_plugins.verl.cpu.rollout import HFReplica

    return HFReplica
