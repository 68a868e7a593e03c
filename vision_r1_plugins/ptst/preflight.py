"""Checks of EVERY PTST stage before Ray starts.

verl validates its start config only: the first stage's ``n``. A later stage whose ``n`` does not split over the
GPUs, a token cap below the longest stage's prompt + response, or a data file smaller than one batch would
otherwise fail after Ray, the workers and the model are up (or hours later, at the stage boundary).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.ptst.schedule import Stage, batch_split_problems


class PreflightError(UsageError):
    pass


def _files(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def count_rows(paths: Sequence[str]) -> int | None:
    """Rows in local parquet files (from their footers); None when a file is not a local parquet."""
    import pyarrow.parquet as parquet

    total = 0
    for path in paths:
        local = Path(path).expanduser()
        if local.suffix != ".parquet" or not local.is_file():
            return None
        total += parquet.ParquetFile(local).metadata.num_rows
    return total


def check_stages(config: Any, stages: Sequence[Stage]) -> list[str]:
    """Every problem found in a composed verl config (``DictConfig``) for these stages; empty when it would run."""
    problems: list[str] = []
    data, trainer = config.data, config.trainer
    actor, rollout = config.actor_rollout_ref.actor, config.actor_rollout_ref.rollout
    gpus = int(trainer.n_gpus_per_node) * int(trainer.nnodes)
    parallel = int(actor.get("ulysses_sequence_parallel_size", 1) or 1)
    data_parallel = max(gpus // parallel, 1)
    batch, mini = int(data.train_batch_size), int(actor.ppo_mini_batch_size)
    problems += batch_split_problems(stages, batch, mini, gpus, data_parallel)
    if not actor.use_dynamic_bsz:
        micro = {
            "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu": (actor.get("ppo_micro_batch_size_per_gpu"), mini),
            "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu": (
                rollout.get("log_prob_micro_batch_size_per_gpu"),
                batch,
            ),
            "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu": (
                config.actor_rollout_ref.ref.get("log_prob_micro_batch_size_per_gpu"),
                batch,
            ),
        }
        for stage in stages:
            for key, (size, prompts) in micro.items():
                per_rank = prompts * stage.rollout_n // data_parallel
                if size and per_rank % int(size):
                    problems.append(
                        f"stage {stage.name}: {prompts} prompts x n {stage.rollout_n} = {per_rank} "
                        f"samples per rank do not split into {key}={size}"
                    )
    longest = max(stage.max_response_length for stage in stages)
    if int(data.max_response_length) < longest:
        problems.append(
            f"data.max_response_length={data.max_response_length} is below the longest stage's "
            f"{longest} tokens: the rollout engine is sized from it at start"
        )
    sequence = int(data.max_prompt_length) + longest
    if actor.use_dynamic_bsz:
        ref = config.actor_rollout_ref.ref
        caps = {
            "actor_rollout_ref.actor.ppo_max_token_len_per_gpu": actor.ppo_max_token_len_per_gpu,
            "actor_rollout_ref.rollout.log_prob_max_token_len_per_gpu": rollout.log_prob_max_token_len_per_gpu,
            "actor_rollout_ref.ref.log_prob_max_token_len_per_gpu": ref.log_prob_max_token_len_per_gpu,
        }
        for key, cap in caps.items():
            if cap is not None and int(cap) * parallel < sequence:
                problems.append(f"{key}={cap} < prompt + longest response = {sequence}")
    for key in ("max_model_len", "max_num_batched_tokens"):
        value = rollout.get(key)
        if value is not None and int(value) < sequence:
            problems.append(f"actor_rollout_ref.rollout.{key}={value} < prompt + longest response = {sequence}")
    for key in ("train_files", "val_files"):
        for path in _files(data.get(key)):
            if "://" not in path and not Path(path).expanduser().exists():  # remote paths are not checked
                problems.append(f"data.{key}: {path} does not exist")
    if not any("does not exist" in problem for problem in problems):
        rows = count_rows(_files(data.train_files))
        if rows is not None and rows < batch:
            problems.append(
                f"data.train_files hold {rows} rows, fewer than one batch (data.train_batch_size="
                f"{batch}); lower the batch size or add data"
            )
    return problems


def require_runnable(config: Any, stages: Sequence[Stage]) -> None:
    problems = check_stages(config, stages)
    if problems:
        raise PreflightError("the PTST run would fail:\n  - " + "\n  - ".join(problems))
