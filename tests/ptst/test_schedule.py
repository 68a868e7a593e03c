from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from vision_r1_plugins.core.resources import recipe
from vision_r1_plugins.ptst.runner import plan
from vision_r1_plugins.ptst.schedule import TOKEN_LIMIT_KEYS, ScheduleError, load_schedule

BASE = {
    "data.max_prompt_length": 1024,
    "data.train_batch_size": 128,
    "actor_rollout_ref.actor.ppo_mini_batch_size": 32,
    "trainer.n_gpus_per_node": 8,
    "trainer.nnodes": 1,
    "actor_rollout_ref.actor.ppo_max_token_len_per_gpu": 16384,
    "actor_rollout_ref.rollout.max_model_len": 6000,
}


def _write(tmp_path: Path, stages: list[dict], **extra: object) -> Path:
    path = tmp_path / "schedule.yaml"
    path.write_text(
        yaml.safe_dump({"name": "t", "checkpoint_dir": str(tmp_path / "ckpt"), "verl": BASE, "stages": stages, **extra})
    )
    return path


def test_two_stage_paper_schedule(tmp_path: Path) -> None:
    schedule = load_schedule(
        _write(
            tmp_path,
            [
                {"name": "s1", "max_response_length": 4096, "rollout_n": 16, "steps": 100},
                {"name": "s2", "max_response_length": 8192, "rollout_n": 8, "steps": 100},
            ],
            reward={"mode": "hard"},
        )
    )
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
    schedule = load_schedule(
        _write(
            tmp_path,
            [
                {"max_response_length": 4096, "rollout_n": 16, "steps": 50},
                {
                    "max_response_length": 8192,
                    "rollout_n": 8,
                    "steps": 30,
                    "overrides": {"actor_rollout_ref.actor.optim.lr": 5e-7},
                },
                {"max_response_length": 16384, "rollout_n": 4, "steps": 20},
            ],
        )
    )
    plans = plan(schedule)
    assert [p.stage.name for p in plans] == ["stage1", "stage2", "stage3"]
    assert [(p.start_step, p.end_step) for p in plans] == [(0, 50), (50, 80), (80, 100)]
    assert [p.overrides["trainer.resume_from_path"] for p in plans[1:]] == [
        str(tmp_path / "ckpt" / "global_step_50"),
        str(tmp_path / "ckpt" / "global_step_80"),
    ]
    assert plans[1].overrides["actor_rollout_ref.actor.optim.lr"] == 5e-7
    assert "actor_rollout_ref.actor.optim.lr" not in plans[2].overrides
    assert plans[2].overrides["actor_rollout_ref.actor.ppo_max_token_len_per_gpu"] == 1024 + 16384
    assert plans[2].overrides["actor_rollout_ref.rollout.log_prob_max_token_len_per_gpu"] == 1024 + 16384


@pytest.mark.parametrize(
    ("stages", "extra", "message"),
    [
        (
            [
                {"max_response_length": 4096, "rollout_n": 16, "steps": 10},
                {"max_response_length": 8192, "rollout_n": 16, "steps": 10},
            ],
            {},
            "constant",
        ),
        (
            [{"max_response_length": 4096, "rollout_n": 2, "steps": 10}],
            {"verl": {**BASE, "data.train_batch_size": 129, "actor_rollout_ref.actor.ppo_mini_batch_size": 43}},
            "258 does not split over 8 GPUs",
        ),
        ([{"max_response_length": 0, "rollout_n": 16, "steps": 10}], {}, "must be > 0"),
        (
            [
                {
                    "max_response_length": 4096,
                    "rollout_n": 16,
                    "steps": 10,
                    "overrides": {"actor_rollout_ref.rollout.n": 4},
                }
            ],
            {},
            "derived from the stage",
        ),
        ([{"max_response_length": 4096, "rollout_n": 16}], {}, "needs max_response_length"),
        ([], {}, "at least one stage"),
        ([{"max_response_length": 4096, "rollout_n": 16, "steps": 10}], {"stagez": []}, "unknown keys"),
    ],
)
def test_invalid_schedules_are_explained(tmp_path: Path, stages: list, extra: dict, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        load_schedule(_write(tmp_path, stages, **extra))


def test_budget_change_on_purpose(tmp_path: Path) -> None:
    stages = [
        {"max_response_length": 4096, "rollout_n": 16, "steps": 10},
        {"max_response_length": 8192, "rollout_n": 16, "steps": 10},
    ]
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


def test_hook_overrides_size_everything_for_the_longest_stage() -> None:
    from vision_r1_plugins.ptst.schedule import hydra_value, stage_index_for_step

    schedule = load_schedule(recipe("verl") / "vision_r1_ptst_8gpu.yaml")
    overrides = schedule.hook_overrides()
    assert overrides["data.max_response_length"] == 8192 and overrides["actor_rollout_ref.rollout.n"] == 16
    assert all(overrides[key] >= 1024 + 8192 for key in TOKEN_LIMIT_KEYS)
    assert overrides["actor_rollout_ref.rollout.max_num_batched_tokens"] == 9216  # verl's default 8192 is too small
    assert overrides["trainer.total_training_steps"] == 200 and overrides["trainer.resume_mode"] == "auto"
    assert hydra_value(overrides["+ptst.stages"]) == (
        "[{name:stage1_4k_x16,max_response_length:4096,rollout_n:16,steps:100},"
        "{name:stage2_8k_x8,max_response_length:8192,rollout_n:8,steps:100}]"
    )
    assert [stage_index_for_step(schedule.stages, step) for step in (1, 100, 101, 200, 201)] == [0, 0, 1, 1, 1]
    # The stage runner's processes carry the same list, pinned to their stage.
    assert schedule.stage_overrides(1)["+ptst.stage"] == 1


def test_hydra_quotes_only_nested_strings_it_would_misread() -> None:
    from vision_r1_plugins.ptst.schedule import hydra_value

    assert hydra_value("[console,file]") == "[console,file]"  # a --set value is Hydra syntax on purpose
    assert hydra_value([{"name": "4k, x16"}, "it's"]) == "[{name:'4k, x16'},'it\\'s']"


def test_hook_mode_refuses_per_stage_overrides(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    stage = {"max_response_length": 8, "rollout_n": 8, "steps": 1, "overrides": {"actor_rollout_ref.actor.lr": 1}}
    verl = {"data.max_prompt_length": 8, "data.train_batch_size": 8}
    path.write_text(yaml.safe_dump({"name": "s", "verl": verl, "stages": [stage]}))
    with pytest.raises(ScheduleError, match="need --mode stages"):
        load_schedule(path).hook_overrides()


def test_smoke_keeps_the_shape_and_shrinks_the_rest() -> None:
    from vision_r1_plugins.ptst.smoke import smoke_schedule

    paper = load_schedule(recipe("verl") / "vision_r1_ptst_8gpu.yaml")
    smoke = smoke_schedule(paper, "/m")
    assert [(s.name, s.max_response_length, s.rollout_n, s.steps) for s in smoke.stages] == [
        ("stage1_4k_x16", 16, 4, 2),
        ("stage2_8k_x8", 32, 2, 2),
    ]
    assert smoke.verl["data.train_batch_size"] == 2 and smoke.verl["actor_rollout_ref.model.path"] == "/m"
    assert smoke.checkpoint_dir == "checkpoints/vision_r1_ptst-smoke" and smoke.reward == paper.reward
    assert smoke.verl["actor_rollout_ref.actor.kl_loss_coef"] == paper.verl["actor_rollout_ref.actor.kl_loss_coef"]
