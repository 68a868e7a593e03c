"""Train with LLaMA-Factory with our plugins loaded in every process.

    vision-r1 sft CONFIG.yaml [key=value ...]
    python -m vision_r1_plugins.llamafactory.train CONFIG.yaml [key=value ...]

Single process: load plugins, then LLaMA-Factory's ``run_exp``. Several GPUs or ``FORCE_TORCHRUN=1``:
LLaMA-Factory's own launcher would re-execute ``llamafactory/launcher.py`` under torchrun, a fresh interpreter
that never imports third-party code, so registrations would vanish on every rank. Instead this module
re-executes *itself* under torchrun with the same environment knobs (``NNODES``, ``NODE_RANK``,
``NPROC_PER_NODE``, ``MASTER_ADDR``, ``MASTER_PORT``, ``RDZV_ID``, ``MIN_NNODES``/``MAX_NNODES``,
``MAX_RESTARTS``, ``OPTIM_TORCH``), passing arguments as a list rather than a split string.

Before either, :func:`check_training_args` checks what LLaMA-Factory would refuse only after loading the model,
or with a traceback from every rank: a misspelt key, a model path that does not exist, an unknown template, an
unregistered dataset or a missing data file. Each is a :class:`UsageError` naming the fix.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.generation.types import check_local_model
from vision_r1_plugins.llamafactory.registry import load_plugins

MODULE = "vision_r1_plugins.llamafactory.train"


def parse_training_args(argv: list[str]) -> dict[str, Any] | list[str]:
    """What ``llamafactory-cli train`` accepts: a YAML/JSON file plus ``key=value`` overrides, or ``--flags``."""
    if argv and argv[0].endswith((".yaml", ".yml", ".json")):
        from omegaconf import OmegaConf

        path = Path(argv[0]).absolute()
        if not path.is_file():
            raise UsageError(f"training config not found: {path} (vision-r1 recipes copy DIR writes the bundled ones)")
        base = OmegaConf.load(path)
        return OmegaConf.to_container(OmegaConf.merge(base, OmegaConf.from_cli(argv[1:])))  # type: ignore[return-value]
    return argv


def _known_keys() -> set[str]:
    """Every key LLaMA-Factory's train parser accepts (its dataclasses' init fields, as ``parse_dict`` counts)."""
    import dataclasses

    from llamafactory.extras.misc import is_env_enabled
    from llamafactory.hparams import parser

    classes = parser._TRAIN_MCA_ARGS if is_env_enabled("USE_MCA") and parser._TRAIN_MCA_ARGS else parser._TRAIN_ARGS
    return {field.name for cls in classes for field in dataclasses.fields(cls) if field.init}


def _suggest(name: str, known: set[str] | list[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name)


def _names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else str(value).split(",") if value is not None else []
    return [str(item).strip() for item in items if str(item).strip()]


def check_training_args(args: dict[str, Any] | list[str], source: str = "training arguments") -> None:
    """Raise :class:`UsageError` for what LLaMA-Factory would refuse late: a key its parser does not know
    (``ALLOW_EXTRA_ARGS=1`` lets them through, as in LLaMA-Factory), no ``model_name_or_path`` or a local one that
    does not exist, a template that is not registered, a dataset missing from ``dataset_info.json`` or its file.
    ``--flag`` style arguments are checked for unknown names only."""
    from llamafactory.extras.misc import is_env_enabled, use_modelscope, use_openmind

    known = _known_keys()
    if isinstance(args, list):
        keys = [item[2:].split("=", 1)[0].replace("-", "_") for item in args if item.startswith("--")]
    else:
        keys = list(args)
    unknown = [key for key in keys if key not in known]
    if unknown and not is_env_enabled("ALLOW_EXTRA_ARGS"):
        listed = ", ".join(_suggest(key, known) for key in unknown)
        raise UsageError(
            f"{source}: LLaMA-Factory has no argument {listed}: fix the spelling "
            "(ALLOW_EXTRA_ARGS=1 passes unknown keys through)"
        )
    if not isinstance(args, dict):
        return
    model = args.get("model_name_or_path")
    if model is None or not str(model).strip():
        raise UsageError(f"{source}: no model_name_or_path: set it to the model folder or a hub name (org/name)")
    if not (use_modelscope() or use_openmind()):
        try:
            check_local_model(str(model))
        except UsageError as error:
            raise UsageError(f"{source}: model_name_or_path: {error}") from error
    _check_template(args.get("template"), source)
    _check_datasets(args, source)


def _check_template(name: Any, source: str) -> None:
    if name is None:
        return
    from llamafactory.data.template import TEMPLATES

    if str(name) not in TEMPLATES:
        raise UsageError(
            f"{source}: template {_suggest(str(name), list(TEMPLATES))} is not a LLaMA-Factory "
            "template (Qwen2.5-VL uses qwen2_vl; a plugin's own template needs its module in "
            "VISION_R1_LF_PLUGINS)"
        )


def _check_datasets(args: dict[str, Any], source: str) -> None:
    """As LLaMA-Factory's ``get_dataset_list`` and loader resolve them: ``dataset_dir/dataset_info.json``, then
    ``dataset_dir/file_name`` for a local file. Hub datasets and an ``ONLINE``/``REMOTE:`` dataset_dir are not
    checked (they need the network)."""
    dataset_dir = str(args.get("dataset_dir") or "data")
    wanted = {key: _names(args.get(key)) for key in ("dataset", "eval_dataset")}
    if not any(wanted.values()) or dataset_dir == "ONLINE" or dataset_dir.startswith("REMOTE:"):
        return
    info_path = Path(dataset_dir) / "dataset_info.json"
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"{source}: no {info_path}: set dataset_dir to the folder with dataset_info.json "
            "(vision-r1 lf register --dataset-dir DIR writes one)"
        ) from None
    except (OSError, json.JSONDecodeError) as error:
        raise UsageError(f"{source}: cannot read {info_path}: {error}") from error
    from llamafactory.data.parser import get_dataset_list

    for key, names in wanted.items():
        for name in names:
            if name not in info:
                registered = ", ".join(sorted(info)[:20]) or "nothing"
                raise UsageError(
                    f"{source}: {key} {_suggest(name, list(info))} is not in {info_path} (it has: "
                    f"{registered}); fix {key}, or register it with vision-r1 lf register"
                )
        for name, attr in zip(names, get_dataset_list(names, dataset_dir), strict=True):
            path = Path(dataset_dir) / attr.dataset_name
            if attr.load_from == "file" and not path.exists():
                raise UsageError(
                    f"{source}: {key} {name!r}: its file {path} does not exist (file_name in "
                    f"{info_path} is relative to dataset_dir)"
                )


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
            "--nnodes",
            rdzv_nnodes,
            "--nproc-per-node",
            nproc_per_node,
            "--rdzv-id",
            os.environ["RDZV_ID"],
            "--rdzv-backend",
            "c10d",
            "--rdzv-endpoint",
            f"{master_addr}:{master_port}",
            "--max-restarts",
            os.getenv("MAX_RESTARTS", "0"),
        ]
    else:
        command += [
            "--nnodes",
            nnodes,
            "--node_rank",
            os.getenv("NODE_RANK", "0"),
            "--nproc_per_node",
            nproc_per_node,
            "--master_addr",
            master_addr,
            "--master_port",
            master_port,
        ]
    command += ["-m", MODULE, *argv]
    env = dict(os.environ)
    if is_env_enabled("OPTIM_TORCH", "1"):
        env["PYTORCH_CUDA_ALLOC_CONF"] = "expandable_segments:True"
        env["TORCH_NCCL_AVOID_RECORD_STREAMS"] = "1"
    return command, env


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_training_args(argv)
    load_plugins()
    if "LOCAL_RANK" not in os.environ:  # the launcher checks once; torchrun's ranks get arguments already checked
        check_training_args(args, argv[0] if isinstance(args, dict) else "training arguments")
    if needs_torchrun():
        command, env = torchrun_command(argv)
        return subprocess.run(command, env=env, check=False).returncode
    from llamafactory.train.tuner import run_exp

    run_exp(args)
    return 0


if __name__ == "__main__":
    # The script torchrun and `python -m` run: a usage mistake is one line here too, as from `vision-r1 sft`.
    try:
        sys.exit(main())
    except UsageError as error:
        if os.environ.get("VISION_R1_DEBUG", "").strip().lower() in ("1", "true", "yes"):
            raise
        print(f"error: {error}", file=sys.stderr)
        sys.exit(error.exit_code)
