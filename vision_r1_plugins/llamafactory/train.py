"""Train with LLaMA-Factory with our plugins loaded in every process.

    vision-r1 sft CONFIG.yaml [key=value ...]
    python -m vision_r1_plugins.llamafactory.train CONFIG.yaml [key=value ...]

Single process: load plugins, then LLaMA-Factory's ``run_exp``. Several GPUs or ``FORCE_TORCHRUN=1``:
LLaMA-Factory's own launcher would re-execute ``llamafactory/launcher.py`` under torchrun, a fresh interpreter
that never imports third-party code, so registrations would vanish on every rank. Instead this module
re-executes *itself* under torchrun with the same environment knobs (``NNODES``, ``NODE_RANK``,
``NPROC_PER_NODE``, ``MASTER_ADDR``, ``MASTER_PORT``, ``RDZV_ID``, ``MIN_NNODES``/``MAX_NNODES``,
``MAX_RESTARTS``, ``OPTIM_TORCH``), passing arguments as a list rather than a split string.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from vision_r1_plugins.llamafactory.registry import load_plugins

MODULE = "vision_r1_plugins.llamafactory.train"


def parse_training_args(argv: list[str]) -> dict[str, Any] | list[str]:
    """What ``llamafactory-cli train`` accepts: a YAML/JSON file plus ``key=value`` overrides, or ``--flags``."""
    if argv and argv[0].endswith((".yaml", ".yml", ".json")):
        from omegaconf import OmegaConf

        path = Path(argv[0]).absolute()
        if not path.is_file():
            raise FileNotFoundError(f"training config not found: {path}")
        base = OmegaConf.load(path)
        return OmegaConf.to_container(OmegaConf.merge(base, OmegaConf.from_cli(argv[1:])))  # type: ignore[return-value]
    return argv


def needs_torchrun() -> bool:
    if "LOCAL_RANK" in os.environ:  # already a torchrun worker
        return False
    from llamafactory.extras.misc import get_device_count, is_env_enabled, use_ray

    if is_env_enabled("USE_MCA"):
        os.environ["FORCE_TORCHRUN"] = "1"
    return is_env_enabled("FORCE_TORCHRUN") or (get_device_count() > 1 and not use_ray())


def torchrun_command(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    from llamafactory.extras.misc import find_available_port, get_device_count, is_env_enabled

    nnodes = os.getenv("NNODES", "1")
    nproc_per_node = os.getenv("NPROC_PER_NODE", str(max(get_device_count(), 1)))
    master_addr = os.getenv("MASTER_ADDR", "127.0.0.1")
    master_port = os.getenv("MASTER_PORT", str(find_available_port()))
    command = [sys.executable, "-m", "torch.distributed.run"]
    if os.getenv("RDZV_ID") is not None:
        min_nnodes, max_nnodes = os.getenv("MIN_NNODES"), os.getenv("MAX_NNODES")
        rdzv_nnodes = f"{min_nnodes}:{max_nnodes}" if min_nnodes and max_nnodes else nnodes
        command += [
            "--nnodes", rdzv_nnodes, "--nproc-per-node", nproc_per_node, "--rdzv-id", os.environ["RDZV_ID"],
            "--rdzv-backend", "c10d", "--rdzv-endpoint", f"{master_addr}:{master_port}",
            "--max-restarts", os.getenv("MAX_RESTARTS", "0"),
        ]  # fmt: skip
    else:
        command += [
            "--nnodes", nnodes, "--node_rank", os.getenv("NODE_RANK", "0"), "--nproc_per_node", nproc_per_node,
            "--master_addr", master_addr, "--master_port", master_port,
        ]  # fmt: skip
    command += ["-m", MODULE, *argv]
    env = dict(os.environ)
    if is_env_enabled("OPTIM_TORCH", "1"):
        env["PYTORCH_CUDA_ALLOC_CONF"] = "expandable_segments:True"
        env["TORCH_NCCL_AVOID_RECORD_STREAMS"] = "1"
    return command, env


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    load_plugins()
    if needs_torchrun():
        command, env = torchrun_command(argv)
        return subprocess.run(command, env=env, check=False).returncode
    from llamafactory.train.tuner import run_exp

    run_exp(parse_training_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
