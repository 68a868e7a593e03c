from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from vision_r1_plugins.core.resources import recipe
from vision_r1_plugins.ptst.runner import plan
from vision_r1_plugins.ptst.schedule import TOKEN_LIMIT_KEYS, ScheduleError, load_schedule

BASE = {
    "data.max_prompt_length": 1024, "data.train_batch_size": 128, "actor_rollout_ref.actor.ppo_mini_batch_size": 32,
    "trainer.n_gpus_per_node": 8, "trainer.nnodes": 1, "actor_rollout_ref.actor.ppo_max_token_len_per_gpu": 16384,
    "actor_rollout_ref.rollout.max_model_len": 6000,
}  # fmt: skip


def _write(tmp_path: Path, stages: list[dict], **extra: object) -> Path:
    path = tmp_path / "schedule.yaml"
    path.write_text(yaml.safe_dump({"name": "t", "checkpoint_dir": str(tmp_path / "ckpt"), "verl": BASE,
                                    "stages": stages, **extra}))  # fmt: skip
    return path


def test_two_stage_paper_schedule(tmp_path: Path) -> None:
    schedule = load_schedule(_write(tmp_path, [
        {"name": "s1", "max_response_length": 4096, "rollout_n": 16, "steps": 100},
        {"name": "s2", "max_response_length": 8192, "rollout_n": 8, "steps": 100},
    ], reward={"mode": "hard"}))  # fmt: skip
    first, second = plan(schedule)
    assert first.overrides["data.max_response_length"] == 4096 and first.overrides["actor_rollout_ref.rollout.n"] == 16
    assert second.overrides["data.max_response_length"] == 8192 and second.overrides["actor_rollout_ref.rollout.n"] == 8
    assert [p.overrides["trainer.total_training_steps"] for p in (first, second)] == [100, 200]  # cumulative
    assert first.overrides["trainer.resume_mode"] == "disable" and first.resume_from is None
    assert second.overrides["trainer.resume_mode"] == "resume_path"
    assert second.overrides["trainer.resume_from_path"] == str(tmp_path / "ckpt" / "global_step_100")
    for stage_plan in (first, second):
        sequence = 1024 + stage_plan.stage.max_response_length
        assert all(stage_plan.overrides[key] >= sequence for key in TOKEN_LIMIT_KEYS)
        assert stage_plan.overrides["actor_rollout_ref.rollout.max_model_len"] == max(6000, sequence)
        assert stage_plan.overrides["trainer.save_freq"] == 100
        assert stage_plan.overrides["reward.custom_reward_function.path"] == "pkg://vision_r1_plugins.reward"
        assert stage_plan.overrides["+reward.custom_reward_function.reward_kwargs.mode"] == "hard"
        assert not any(key.startswith("custom_reward_function") for key in stage_plan.overrides)  # legacy key unused
    assert first.overrides["actor_rollout_ref.actor.ppo_max_token_len_per_gpu"] == 16384  # user value kept if larger
    assert "trainer.resume_from_path=" + str(tmp_path / "ckpt" / "global_step_100") in second.argv


def test_three_stage_schedule_with_stage_overrides(tmp_path: Path) -> None:
    schedule = load_schedule(_write(tmp_path, [
        {"max_response_length": 4096, "rollout_n": 16, "steps": 50},
        {"max_response_length": 8192, "rollout_n": 8, "steps": 30,
         "overrides": {"actor_rollout_ref.actor.optim.lr": 5e-7}},
        {"max_response_length": 16384, "rollout_n": 4, "steps": 20},
    ]))  # fmt: skip
    plans = plan(schedule)
    assert [p.stage.name for p in plans] == ["stage1", "stage2", "stage3"]
    assert [(p.start_step, p.end_step) for p in plans] == [(0, 50), (50, 80), (80, 100)]
    assert [p.overrides["trainer.resume_from_path"] for p in plans[1:]] == [
        str(tmp_path / "ckpt" / "global_step_50"), str(tmp_path / "ckpt" / "global_step_80")]  # fmt: skip
    assert plans[1].overrides["actor_rollout_ref.actor.optim.lr"] == 5e-7
    assert "actor_rollout_ref.actor.optim.lr" not in plans[2].overrides
    assert plans[2].overrides["actor_rollout_ref.actor.ppo_max_token_len_per_gpu"] == 1024 + 16384
    assert plans[2].overrides["actor_rollout_ref.rollout.log_prob_max_token_len_per_gpu"] == 1024 + 16384


@pytest.mark.parametrize(
    ("stages", "extra", "message"),
    [
        ([{"max_response_length": 4096, "rollout_n": 16, "steps": 10},
          {"max_response_length": 8192, "rollout_n": 16, "steps": 10}], {}, "constant"),
        ([{"max_response_length": 4096, "rollout_n": 2, "steps": 10}],
         {"verl": {**BASE, "data.train_batch_size": 129, "actor_rollout_ref.actor.ppo_mini_batch_size": 43}},
         "258 is not divisible by 8 GPUs"),
        ([{"max_response_length": 0, "rollout_n": 16, "steps": 10}], {}, "must be > 0"),
        ([{"max_response_length": 4096, "rollout_n": 16, "steps": 10,
           "overrides": {"actor_rollout_ref.rollout.n": 4}}], {}, "derived from the stage"),
        ([{"max_response_length": 4096, "rollout_n": 16}], {}, "needs max_response_length"),
        ([], {}, "at least one stage"),
        ([{"max_response_length": 4096, "rollout_n": 16, "steps": 10}], {"stagez": []}, "unknown keys"),
    ],
)  # fmt: skip
def test_invalid_schedules_are_explained(tmp_path: Path, stages: list, extra: dict, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        load_schedule(_write(tmp_path, stages, **extra))


def test_budget_change_on_purpose(tmp_path: Path) -> None:
    stages = [{"max_response_length": 4096, "rollout_n": 16, "steps": 10},
              {"max_response_length": 8192, "rollout_n": 16, "steps": 10}]  # fmt: skip
    assert len(load_schedule(_write(tmp_path, stages, allow_budget_change=True)).stages) == 2


def test_recipes_load() -> None:
    recipes = sorted(recipe("verl").glob("*.yaml"))
    assert {recipe.stem for recipe in recipes} == {"vision_r1_ptst_8gpu", "vision_r1_zero_8gpu", "vision_r1_long_8gpu"}
    ptst = load_schedule(recipe("verl") / "vision_r1_ptst_8gpu.yaml")
    assert [(s.max_response_length, s.rollout_n, s.steps) for s in ptst.stages] == [(4096, 16, 100), (8192, 8, 100)]
    zero = load_schedule(recipe("verl") / "vision_r1_zero_8gpu.yaml")
    assert zero.reward["mode"] == "sum" and zero.stages[0].steps == 300
    long = load_schedule(recipe("verl") / "vision_r1_long_8gpu.yaml")
    assert (long.stages[0].max_response_length, long.stages[0].rollout_n) == (16384, 4)
