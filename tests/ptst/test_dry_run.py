"""Every recipe stage composed through verl 0.9.1's own Hydra config and validation, with only the model swapped."""

from __future__ import annotations

from pathlib import Path

import pytest

from vision_r1_plugins.core.resources import recipe

pytest.importorskip("verl")

from vision_r1_plugins.ptst.dry_run import DryRunError
from vision_r1_plugins.ptst.runner import dry_run
from vision_r1_plugins.ptst.schedule import load_schedule

RECIPES = sorted(recipe("verl").glob("*.yaml"))


@pytest.mark.slow
@pytest.mark.parametrize("recipe", RECIPES, ids=[recipe.stem for recipe in RECIPES])
def test_recipe_stages_compose_and_validate(recipe: Path, tiny_model_dir: Path) -> None:
    schedule = load_schedule(recipe)
    results = dry_run(schedule, {"actor_rollout_ref.model.path": str(tiny_model_dir)})
    assert len(results) == len(schedule.stages)
    for index, (_stage_plan, result) in enumerate(results):
        stage = schedule.stages[index]
        assert (result.response_length, result.rollout_n) == (stage.max_response_length, stage.rollout_n)
        assert result.total_training_steps == schedule.end_step(index)
        assert all(limit >= result.prompt_length + result.response_length for limit in result.token_limits.values())
        assert (result.resume_mode == "resume_path") == (index > 0)


def test_misspelt_key_and_small_token_limit_fail(tiny_model_dir: Path) -> None:
    schedule = load_schedule(recipe("verl") / "vision_r1_ptst_8gpu.yaml")
    model = {"actor_rollout_ref.model.path": str(tiny_model_dir)}
    with pytest.raises(DryRunError, match="max_respons_length"):
        dry_run(schedule, {**model, "data.max_respons_length": 4096})
    with pytest.raises(
        DryRunError, match=r"stage stage1_4k_x16: .*ppo_max_token_len_per_gpu=2048 < prompt \+ response"
    ):
        dry_run(
            schedule,
            {
                **model,
                "actor_rollout_ref.actor.ppo_max_token_len_per_gpu": 2048,
                "actor_rollout_ref.rollout.log_prob_max_token_len_per_gpu": 2048,
            },
        )
