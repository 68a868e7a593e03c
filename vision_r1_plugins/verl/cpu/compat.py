"""Two CPU fixes applied from outside verl, before its workers import the patched names.

- verl's workers build the process group as ``cpu:gloo,<device>:<backend>``; with the CPU platform that is
  ``cpu:gloo,cpu:gloo``, which torch rejects. On CPU gloo alone is the whole story.
- FSDP2's reference model gets ``CPUOffloadPolicy(pin_memory=True)``; pinning host memory needs a CUDA driver.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from typing import Any

_PATCHED = "__vision_r1_cpu__"


def gloo_only_process_group() -> None:
    import verl.utils.distributed as distributed

    original = distributed.initialize_global_process_group_ray
    if getattr(original, _PATCHED, False):
        return

    @functools.wraps(original)
    def initialize(timeout_second: Any = None, backend: Any = None) -> Any:
        return original(timeout_second=timeout_second, backend="gloo")

    setattr(initialize, _PATCHED, True)
    distributed.initialize_global_process_group_ray = initialize
    # Modules that already imported the name keep the original unless it is replaced there too.
    for name in ("verl.workers.engine_workers", "verl.checkpoint_engine.base"):
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "initialize_global_process_group_ray"):
            module.initialize_global_process_group_ray = initialize


def unpinned_cpu_offload() -> None:
    import torch.distributed.fsdp as fsdp

    policy = fsdp.CPUOffloadPolicy
    if getattr(policy, _PATCHED, False):
        return

    @dataclass
    class UnpinnedCPUOffloadPolicy(policy):  # type: ignore[misc, valid-type]
        def __post_init__(self) -> None:
            self.pin_memory = False

    setattr(UnpinnedCPUOffloadPolicy, _PATCHED, True)
    fsdp.CPUOffloadPolicy = UnpinnedCPUOffloadPolicy
    for name in ("verl.utils.fsdp_utils", "verl.workers.engine.fsdp.transformer_impl"):
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "CPUOffloadPolicy"):
            module.CPUOffloadPolicy = UnpinnedCPUOffloadPolicy
