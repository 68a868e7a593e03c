"""A ``cpu`` platform for verl: device ``cpu``, gloo, and a device module whose accelerator calls do nothing.

verl's platform detection falls back to CUDA when no accelerator is found, so on a CPU machine every
``get_torch_device().synchronize()`` would reach for a CUDA driver. The Ray resource name stays ``GPU``:
verl's resource pools are built from GPU bundles, and a CPU run declares logical GPUs
(``ray_init.num_gpus``) so that the same pools schedule.
"""

from __future__ import annotations

import types
from contextlib import contextmanager
from typing import Any

import torch
from verl.plugin.platform.platform_base import PlatformBase

PLATFORM_NAME = "cpu"


class _NoAccelerator(types.ModuleType):
    """Stands in for ``torch.cuda``: memory statistics are 0, synchronise/empty-cache/seed calls do nothing."""

    def __init__(self) -> None:
        super().__init__("vision_r1_plugins.verl.cpu.no_accelerator")

    def is_available(self) -> bool:
        return False

    def current_device(self) -> str:  # type: ignore[override]
        # verl moves tensors with .to(get_device_id()): an int would mean cuda:N.
        return "cpu"

    def device_count(self) -> int:
        return 1

    def mem_get_info(self, *_: Any) -> tuple[int, int]:
        return (0, 0)

    def manual_seed(self, seed: int) -> None:
        torch.manual_seed(seed)

    def manual_seed_all(self, seed: int) -> None:
        torch.manual_seed(seed)

    def get_rng_state(self, *_: Any) -> torch.Tensor:
        return torch.get_rng_state()

    def set_rng_state(self, state: torch.Tensor, *_: Any) -> None:
        torch.set_rng_state(state)

    def get_device_name(self, *_: Any) -> str:
        return "CPU"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if hasattr(torch.cpu, name):  # Stream, current_stream, stream, synchronize, ...
            return getattr(torch.cpu, name)
        # empty_cache, memory_allocated, max_memory_reserved, reset_peak_memory_stats, ...:
        # a CPU process has nothing to free and reports no device memory.
        return lambda *args, **kwargs: 0


NO_ACCELERATOR = _NoAccelerator()


class PlatformCPU(PlatformBase):
    @property
    def device_name(self) -> str:
        return "cpu"

    @property
    def vendor_name(self) -> str:
        return "cpu"

    @property
    def device_module(self) -> types.ModuleType:
        return NO_ACCELERATOR

    def is_available(self) -> bool:
        return True

    def is_platform_available(self, use_smi_check: bool = False) -> bool:
        # Never auto-detected: the CPU platform is chosen only through VERL_PLATFORM=cpu.
        return False

    def current_device(self) -> str:  # type: ignore[override]
        # verl moves tensors with .to(get_device_id()): an int would mean cuda:N.
        return "cpu"

    def device_count(self) -> int:
        return 1

    def set_device(self, device_index: int) -> None:
        return None

    def synchronize(self, device_index: int | None = None) -> None:
        return None

    def manual_seed(self, seed: int) -> None:
        torch.manual_seed(seed)

    def manual_seed_all(self, seed: int) -> None:
        torch.manual_seed(seed)

    def set_allocator_settings(self, settings: str) -> None:
        return None

    def empty_cache(self) -> None:
        return None

    def get_device_capability(self, device_index: int = 0) -> tuple[int | None, int | None]:
        return None, None

    def communication_backend_name(self) -> str:
        return "gloo"

    def visible_devices_envvar(self) -> str:
        return "CUDA_VISIBLE_DEVICES"

    @contextmanager
    def nvtx_range(self, msg: str):  # type: ignore[override]
        yield

    def profiler_start(self) -> None:
        return None

    def profiler_stop(self) -> None:
        return None

    def ray_resource_name(self) -> str:
        return "GPU"

    def ray_noset_envvars(self) -> list[str]:
        return ["RAY_EXPERIMENTAL_NOSET_CUDA_VISIBLE_DEVICES"]

    def is_ipc_supported(self) -> bool:
        return False

    def rollout_env_vars(self) -> dict[str, str]:
        return {}

    def cudart(self) -> Any:
        return None


def register_platform() -> None:
    from verl.plugin.platform.platform_manager import PlatformRegistry

    if PlatformRegistry.get(PLATFORM_NAME) is not PlatformCPU:
        PlatformRegistry.register(platform=PLATFORM_NAME)(PlatformCPU)
