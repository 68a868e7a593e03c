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


def _replace(source: Any, name: str, value: Any, importers: tuple[str, ...]) -> None:
    """Replace ``source.name``, marked as ours. Modules that already imported the name keep the original unless
    it is replaced there too; the ones not imported yet will import the replacement."""
    setattr(value, _PATCHED, True)
    setattr(source, name, value)
    for module_name in importers:
        module = sys.modules.get(module_name)
        if module is not None and hasattr(module, name):
            setattr(module, name, value)


def gloo_only_process_group() -> None:
    import verl.utils.distributed as distributed

    original = distributed.initialize_global_process_group_ray
    if getattr(original, _PATCHED, False):
        return

    @functools.wraps(original)
    def initialize(timeout_second: Any = None, backend: Any = None) -> Any:
        return original(timeout_second=timeout_second, backend="gloo")

    _replace(
        distributed,
        "initialize_global_process_group_ray",
        initialize,
        ("verl.workers.engine_workers", "verl.checkpoint_engine.base"),
    )


def unpinned_cpu_offload() -> None:
    import torch.distributed.fsdp as fsdp

    policy = fsdp.CPUOffloadPolicy
    if getattr(policy, _PATCHED, False):
        return

    @dataclass
    class UnpinnedCPUOffloadPolicy(policy):  # type: ignore[misc, valid-type]
        def __post_init__(self) -> None:
            self.pin_memory = False

    _replace(
        fsdp,
        "CPUOffloadPolicy",
        UnpinnedCPUOffloadPolicy,
        ("verl.utils.fsdp_utils", "verl.workers.engine.fsdp.transformer_impl"),
    )
