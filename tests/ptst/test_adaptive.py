from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.ptst.adaptive import (
    SwitchRule,
    SwitchState,
    load_state,
    parse_rule,
    save_state,
    should_switch,
    stage_ends,
    stage_for_step,
)
from vision_r1_plugins.ptst.schedule import ScheduleError, load_schedule, stage_record, stages_from_config

CLIP = SwitchRule("clip_ratio", patience=3, below=0.1)
PLATEAU = SwitchRule("reward_plateau", patience=2, min_delta=0.05)


def test_clip_ratio_switches_after_patience_steps_below_the_threshold() -> None:
    assert not should_switch(CLIP, [0.05, 0.05])  # fewer steps than the patience
    assert not should_switch(CLIP, [0.5, 0.05, 0.2, 0.05, 0.05])  # one of the last 3 is above
    assert should_switch(CLIP, [0.5, 0.3, 0.05, 0.0, 0.09])
    assert not should_switch(CLIP, [0.05, 0.1, 0.0])  # "below" is strict


def test_reward_plateau_switches_when_the_best_is_not_beaten_for_patience_steps() -> None:
    assert not should_switch(PLATEAU, [0.1, 0.2])  # no best before the window yet
    assert not should_switch(PLATEAU, [0.1, 0.2, 0.3, 0.4])  # still improving
    assert should_switch(PLATEAU, [0.1, 0.5, 0.52, 0.49])  # +0.02 is within min_delta
    assert not should_switch(PLATEAU, [0.1, 0.5, 0.52, 0.56])  # +0.06 beats it
    assert should_switch(PLATEAU, [0.6, 0.2, 0.3])  # a drop is not an improvement


def test_stage_ends_follow_early_ends_and_later_stages_keep_their_length() -> None:
    assert stage_ends([5, 4, 3], {}) == [5, 9, 12]
    assert stage_ends([5, 4, 3], {0: 2}) == [2, 6, 9]
    assert stage_ends([5, 4, 3], {0: 2, 1: 3}) == [2, 3, 6]
    ends = stage_ends([5, 4, 3], {0: 2})
    assert [stage_for_step(ends, step) for step in (1, 2, 3, 6, 7, 9, 10)] == [0, 0, 1, 1, 2, 2, 2]


def test_state_round_trips_through_a_checkpoint_folder(tmp_path: Path) -> None:
    state = SwitchState(ended={0: 4}, reasons={0: CLIP.describe()})
    state.observe(1, 0.5)
    state.observe(1, 0.25)
    save_state(tmp_path / "global_step_6", state, total_steps=10)
    loaded, total = load_state(tmp_path / "global_step_6")  # type: ignore[misc]
    assert (loaded.ended, loaded.history, loaded.stage, loaded.reasons, total) == (
        {0: 4},
        [0.5, 0.25],
        1,
        state.reasons,
        10,
    )
    assert load_state(tmp_path / "global_step_9") is None
    # The next stage's rule counts its own steps only.
    assert loaded.observe(2, 0.1) == [0.1] and loaded.stage == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"signal": "loss"}, "switch.signal must be one of clip_ratio, reward_plateau"),
        ({"signal": "clip_ratio", "min_delta": 0.1}, r"takes \['below', 'patience', 'signal'\], not \['min_delta'\]"),
        ({"signal": "clip_ratio", "below": 0}, r"switch.below must be in \(0, 1\]"),
        ({"signal": "reward_plateau", "patience": 0}, "switch.patience must be >= 1"),
        ({"signal": "reward_plateau", "min_delta": "x"}, "switch values must be numbers"),
        ("clip_ratio", "switch must be a mapping"),
    ],
)
def test_bad_switch_rules_are_refused_by_name(value: object, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_rule("s1", value)


def _schedule(tmp_path: Path, stages: list[dict]) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "s",
                "allow_budget_change": True,
                "stages": stages,
                "verl": {
                    "data.max_prompt_length": 64,
                    "data.train_batch_size": 8,
                    "trainer.n_gpus_per_node": 1,
                    "trainer.use_v1": False,
                },
            }
        )
    )
    return path


def test_a_schedule_carries_switch_rules_to_the_trainer_config(tmp_path: Path) -> None:
    from omegaconf import OmegaConf

    schedule = load_schedule(
        _schedule(
            tmp_path,
            [
                {
                    "name": "a",
                    "max_response_length": 32,
                    "rollout_n": 8,
                    "steps": 6,
                    "switch": {"signal": "clip_ratio", "below": 0.05, "patience": 2},
                },
                {"name": "b", "max_response_length": 64, "rollout_n": 4, "steps": 6},
            ],
        )
    )
    assert schedule.stages[0].switch == SwitchRule("clip_ratio", 2, below=0.05)
    records = schedule.hook_overrides()["+ptst.stages"]
    assert records == [stage_record(stage) for stage in schedule.stages]
    # What the trainer reads back from verl's config (an OmegaConf node) is the same rule.
    config = OmegaConf.create({"ptst": {"stages": records}})
    assert stages_from_config(config) == schedule.stages
    with pytest.raises(ScheduleError, match=r"switch rules .* need the hook mode"):
        schedule.stage_overrides(0)


def test_a_switch_on_the_last_stage_and_an_unknown_stage_key_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScheduleError, match="stage b is the last: its switch rule has no stage to switch to"):
        load_schedule(
            _schedule(
                tmp_path,
                [
                    {"name": "a", "max_response_length": 32, "rollout_n": 8, "steps": 6},
                    {
                        "name": "b",
                        "max_response_length": 64,
                        "rollout_n": 4,
                        "steps": 6,
                        "switch": {"signal": "reward_plateau", "patience": 2},
                    },
                ],
            )
        )
    with pytest.raises(ScheduleError, match=r"stage a has unknown keys \['swich'\]"):
        load_schedule(
            _schedule(
                tmp_path,
                [
                    {"name": "a", "max_response_length": 32, "rollout_n": 8, "steps": 6, "swich": {}},
                ],
            )
        )


def test_switch_rules_on_the_v1_trainer_are_refused(tmp_path: Path) -> None:
    path = _schedule(
        tmp_path,
        [
            {
                "name": "a",
                "max_response_length": 32,
                "rollout_n": 8,
                "steps": 6,
                "switch": {"signal": "clip_ratio", "below": 0.05, "patience": 2},
            },
            {"name": "b", "max_response_length": 64, "rollout_n": 4, "steps": 6},
        ],
    )
    data = yaml.safe_load(path.read_text())
    del data["verl"]["trainer.use_v1"]  # verl 0.9.1's default is the V1 trainer
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ScheduleError, match=r"run on verl's classic trainer: set trainer\.use_v1: false"):
        load_schedule(path)
