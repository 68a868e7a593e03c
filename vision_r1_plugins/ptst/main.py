"""``python -m vision_r1_plugins.ptst.main``: verl's ``main_ppo`` with the PTST trainer, for your own Hydra command.

    python -m vision_r1_plugins.ptst.main \\
        +ptst.stages='[{name:s1,max_response_length:4096,rollout_n:16,steps:100},
                       {name:s2,max_response_length:8192,rollout_n:8,steps:100}]' \\
        data.max_response_length=8192 trainer.total_training_steps=200 ...

Takes every ``verl.trainer.main_ppo`` override. It checks every stage before Ray starts, then runs verl's own
``run_ppo`` with :class:`vision_r1_plugins.ptst.hook.PTSTTaskRunner` (``trainer.use_v1=false``, verl's classic
trainer) or :class:`vision_r1_plugins.ptst.hook.PTSTTaskRunnerV1` (``trainer.use_v1=true``, verl 0.9.1's
default, with ``trainer.v1.trainer_mode=sync``; it needs TransferQueue, which ``verl[vllm]`` installs).
``vision-r1 ptst run SCHEDULE.yaml`` writes this command for you from a schedule file.
"""

from __future__ import annotations

import sys

import hydra

HYDRA_CONFIG = "pkg://verl.trainer.config"


def run(config) -> None:
    from verl.trainer.main_ppo import run_ppo
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import validate_config
    from verl.utils.device import auto_set_device

    from vision_r1_plugins.core.errors import UsageError
    from vision_r1_plugins.ptst.hook import PTSTTaskRunner, PTSTTaskRunnerV1
    from vision_r1_plugins.ptst.preflight import require_runnable
    from vision_r1_plugins.ptst.schedule import pinned_stage, stages_from_config

    stages = stages_from_config(config)
    pinned = pinned_stage(config)
    if pinned is not None and not 0 <= pinned < len(stages):
        raise UsageError(f"ptst.stage={pinned} is not a stage index (0-{len(stages) - 1})")
    use_v1 = bool(config.trainer.get("use_v1", True))
    if use_v1 and config.trainer.v1.trainer_mode != "sync":
        raise UsageError(
            f"PTST runs on verl's V1 trainer in its sync mode, not trainer.v1.trainer_mode="
            f"{config.trainer.v1.trainer_mode}: set trainer.v1.trainer_mode=sync"
        )
    if use_v1 and any(stage.switch is not None for stage in stages):
        raise UsageError("switch rules (adaptive PTST) run on verl's classic trainer: set trainer.use_v1=false")
    last = len(stages) - 1 if pinned is None else pinned
    total = sum(stage.steps for stage in stages[: last + 1])
    if int(config.trainer.total_training_steps or 0) != total:
        raise UsageError(
            f"trainer.total_training_steps must be {total}, the global step at which "
            f"{'the schedule' if pinned is None else 'stage ' + stages[pinned].name} ends"
        )
    auto_set_device(config)
    require_runnable(config, stages if pinned is None else [stages[pinned]])
    validate_config(config=config, use_reference_policy=need_reference_policy(config), use_critic=need_critic(config))
    run_ppo(config, task_runner_class=PTSTTaskRunnerV1 if use_v1 else PTSTTaskRunner)


@hydra.main(config_path=HYDRA_CONFIG, config_name="ppo_trainer", version_base=None)
def main(config) -> None:
    from vision_r1_plugins.core.errors import UsageError

    try:
        run(config)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
