"""``ptst plan/run --set``: keys the schedule sets are refused naming the schedule field, the rest are merged into
the schedule's verl overrides, so they are validated and derived from like the YAML's own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import vision_r1_plugins.ptst
from vision_r1_plugins.cli import app
from vision_r1_plugins.core.resources import recipe
from vision_r1_plugins.ptst.schedule import (
    FLOOR_KEYS,
    MANAGED,
    MANAGED_PREFIXES,
    Schedule,
    ScheduleError,
    Stage,
    load_schedule,
    managed_message,
)

RECIPE = recipe("verl") / "vision_r1_ptst_8gpu.yaml"

# Each key the schedule sets, with the schedule field the message must name (written here by hand, not read from
# the mapping, so a wrong mapping fails).
REFUSED = [
    ("data.max_response_length", "stages[i].max_response_length"),
    ("+data.max_response_length", "stages[i].max_response_length"),
    ("actor_rollout_ref.rollout.response_length", "stages[i].max_response_length"),
    ("actor_rollout_ref.rollout.n", "stages[i].rollout_n"),
    ("trainer.total_training_steps", "stages[i].steps"),
    ("trainer.default_local_dir", "checkpoint_dir"),
    ("++trainer.default_local_dir", "checkpoint_dir"),
    ("trainer.resume_mode", "checkpoint_dir"),
    ("trainer.resume_from_path", "checkpoint_dir"),
    ("trainer.experiment_name", "name"),
    ("+ptst.stages", "stages"),
    ("ptst.stage", "stages"),
    ("+reward.custom_reward_function.reward_kwargs.mode", "reward.mode"),
]


def invoke(*args: str):
    return CliRunner().invoke(app, ["ptst", *args])


def one_liner(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2, result.stderr
    return " ".join(result.stderr.split())


def flat(output: str) -> str:
    return " ".join(output.split())


@pytest.mark.parametrize("command", [["plan"], ["plan", "--mode", "stages"], ["run", "--dry-run"]])
@pytest.mark.parametrize(("key", "field"), REFUSED, ids=[key for key, _ in REFUSED])
def test_keys_the_schedule_sets_are_refused(key: str, field: str, command: list[str]) -> None:
    result = invoke(*command, str(RECIPE), "--set", f"{key}=2048")
    message = one_liner(result)
    assert f"--set {key.lstrip('+')} " in message
    assert f"set {field} in the YAML" in message


def test_several_refused_keys_stay_on_two_lines() -> None:
    result = invoke(
        "plan",
        str(RECIPE),
        "--set",
        "trainer.default_local_dir=/ckpt",
        "--set",
        "trainer.project_name=x",
        "--set",
        "data.max_response_length=2048",
        "--set",
        "actor_rollout_ref.rollout.n=4",
    )
    message = one_liner(result)
    assert "trainer.default_local_dir" in message and "set checkpoint_dir in the YAML" in message
    assert message.endswith("also set by the schedule: data.max_response_length, actor_rollout_ref.rollout.n")


def test_a_whole_section_holding_managed_keys_is_refused() -> None:
    message = one_liner(invoke("plan", str(RECIPE), "--set", "trainer={project_name:x}"))
    assert "--set trainer holds trainer.default_local_dir" in message and "trainer.total_training_steps" in message


def test_smoke_run_refuses_before_building_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("run", str(RECIPE), "--cpu", "--smoke", "--dry-run", "--set", "data.max_response_length=64")
    assert "set stages[i].max_response_length in the YAML" in one_liner(result)
    assert list(tmp_path.iterdir()) == []  # no tiny model, no checkpoint folder


def test_allowed_keys_apply_to_every_stage() -> None:
    sets = ["--set", "actor_rollout_ref.actor.optim.lr=2e-6", "--set", "trainer.project_name=mine"]
    stages = invoke("plan", str(RECIPE), "--mode", "stages", *sets)
    assert stages.exit_code == 0, stages.output
    text = flat(stages.output)
    assert text.count("actor_rollout_ref.actor.optim.lr=2e-6") == 2 and "optim.lr=1e-06" not in text
    assert text.count("trainer.project_name=mine") == 2 and "trainer.project_name=vision_r1 " not in text
    hook = invoke("plan", str(RECIPE), *sets)
    assert hook.exit_code == 0, hook.output
    assert flat(hook.output).count("actor_rollout_ref.actor.optim.lr=2e-6") == 1


def test_the_demo_keys_apply_to_a_cpu_smoke_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    sets = [
        "actor_rollout_ref.model.path=/models/sft",
        "data.train_files=/data/train.parquet",
        "data.val_files=/data/test.parquet",
    ]
    result = invoke("plan", str(RECIPE), "--cpu", "--smoke", *(f"--set={item}" for item in sets))
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    for item in sets:
        assert text.count(item) == 1, item
    assert "tiny-qwen2_5_vl" not in text and "/path/to/" not in text
    assert "data.train_batch_size=2" in text  # the smoke run's own batch is kept


def test_a_set_prompt_length_resizes_the_derived_limits() -> None:
    result = invoke("plan", str(RECIPE), "--set", "data.max_prompt_length=2048")
    assert result.exit_code == 0, result.output
    text = flat(result.output)  # 2048 + the longest stage's 8192, not the YAML's 1024 + 8192
    assert "actor_rollout_ref.rollout.log_prob_max_token_len_per_gpu=10240" in text
    assert "actor_rollout_ref.rollout.max_model_len=10240" in text and "=9216" not in text


@pytest.mark.parametrize(("value", "expected"), [("2048", "9216"), ("32768", "32768")])
def test_a_set_token_cap_is_a_floor_like_the_yaml_one(value: str, expected: str) -> None:
    key = "actor_rollout_ref.actor.ppo_max_token_len_per_gpu"
    result = invoke("plan", str(RECIPE), "--set", f"{key}={value}")
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    assert f"{key}={expected}" in text and text.count(f"{key}=") == 1


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("data.train_batch_size", 7),
        ("actor_rollout_ref.actor.ppo_mini_batch_size", 33),
        ("trainer.n_gpus_per_node", 3),
        ("trainer.nnodes", 3),
    ],
)
def test_a_set_that_breaks_the_batch_checks_fails_like_the_yaml(key: str, value: int, tmp_path: Path) -> None:
    data = yaml.safe_load(RECIPE.read_text())
    data["verl"][key] = value
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(data))
    from_yaml = invoke("plan", str(edited))
    from_set = invoke("plan", str(RECIPE), "--set", f"{key}={value}")
    assert from_yaml.exit_code == 2 and "invalid PTST schedule" in from_yaml.stderr, from_yaml.output
    assert from_set.exit_code == 2 and from_set.stderr == from_yaml.stderr
    assert "Traceback" not in from_set.output


def test_a_set_that_is_not_a_number_is_a_usage_error() -> None:
    result = invoke("plan", str(RECIPE), "--set", "data.train_batch_size=many")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "data.train_batch_size must be an integer, got 'many'" in result.stderr


def test_a_set_replaces_a_stages_own_override_and_says_so(tmp_path: Path) -> None:
    data = yaml.safe_load(RECIPE.read_text())
    data["stages"][1]["overrides"] = {"actor_rollout_ref.actor.optim.lr": 5e-7}
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(data))
    result = invoke("plan", str(edited), "--mode", "stages", "--set", "actor_rollout_ref.actor.optim.lr=3e-6")
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    assert text.count("actor_rollout_ref.actor.optim.lr=3e-6") == 2 and "5e-07" not in text
    assert "--set replaces stage stage2_8k_x8's own actor_rollout_ref.actor.optim.lr" in text


# -- the mapping cannot drift from the code that writes the keys

BASE = {"data.max_prompt_length": 1024, "data.train_batch_size": 8, "trainer.n_gpus_per_node": 1}


def probe(verl: dict[str, object]) -> list[dict[str, object]]:
    """Every verl command's overrides the schedule writes: the hook mode's, then each stage's (resuming)."""
    schedule = Schedule(
        "t", (Stage("a", 16, 4, 2), Stage("b", 32, 2, 2)), "ckpt", verl={**BASE, **verl}, reward={"mode": "hard"}
    )
    return [schedule.hook_overrides(), schedule.stage_overrides(0), schedule.stage_overrides(1, "ckpt/global_step_2")]


def trainer_writes() -> set[str]:
    """The config keys the PTST trainer assigns at run time (``self.config.a.b = ...`` in hook.py)."""
    tree = ast.parse((Path(vision_r1_plugins.ptst.__file__).parent / "hook.py").read_text())  # importing needs Ray
    keys = set()
    for node in ast.walk(tree):
        for target in getattr(node, "targets", []):
            parts = []
            while isinstance(target, ast.Attribute):
                parts.append(target.attr)
                target = target.value
            if len(parts) > 1 and parts[-1] == "config" and isinstance(target, ast.Name) and target.id == "self":
                keys.add(".".join(reversed(parts[:-1])))
    return keys


def test_every_key_the_schedule_overwrites_is_managed() -> None:
    written = set().union(*probe({})) - set(BASE)
    assert "trainer.default_local_dir" in written and "+ptst.stage" in written  # the probe sees the writes
    overwritten = set()
    for key in sorted(written):
        sentinel = 7
        if any(overrides[key] != sentinel for overrides in probe({key: sentinel}) if key in overrides):
            overwritten.add(key)
    floors = overwritten & set(FLOOR_KEYS)
    assert floors == set(FLOOR_KEYS)  # raised to prompt + response...
    for key in floors:  # ...but a larger value is kept: a floor, not a managed key
        assert all(overrides[key] == 10**6 for overrides in probe({key: 10**6}))
    unmanaged = sorted(key for key in overwritten - floors if managed_message(key) is None)
    assert unmanaged == [], "add these to MANAGED in ptst/schedule.py"
    kept = sorted(written - overwritten)  # the schedule's defaults a --set may change
    assert kept == ["reward.custom_reward_function.name", "reward.custom_reward_function.path", "trainer.save_freq"]
    assert all(managed_message(key) is None for key in kept)


def test_every_key_the_trainer_switches_is_managed() -> None:
    switched = trainer_writes()
    assert {"actor_rollout_ref.rollout.n", "actor_rollout_ref.rollout.response_length"} <= switched
    # save_freq is the one key it sets that stays the user's: it saves at stage ends and every save_freq steps.
    assert sorted(key for key in switched if managed_message(key) is None) == ["trainer.save_freq"]


def test_the_mapping_lists_only_keys_that_are_written() -> None:
    written = {key.lstrip("+") for overrides in probe({}) for key in overrides} | trainer_writes()
    assert sorted(set(MANAGED) - written) == []
    for prefix in MANAGED_PREFIXES:
        assert any(key.startswith(prefix + ".") for key in written), prefix


def test_the_yaml_verl_block_is_refused_the_same_keys(tmp_path: Path) -> None:
    data = yaml.safe_load(RECIPE.read_text())
    data["verl"]["actor_rollout_ref.rollout.response_length"] = 2048
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(data))
    with pytest.raises(
        ScheduleError,
        match=r"verl: actor_rollout_ref.rollout.response_length is set per stage .*"
        r"set stages\[i\].max_response_length in the YAML",
    ):
        load_schedule(edited)


def test_a_stages_own_reward_option_is_still_allowed(tmp_path: Path) -> None:
    data = yaml.safe_load(RECIPE.read_text())
    data["stages"][1]["overrides"] = {"+reward.custom_reward_function.reward_kwargs.mode": "soft"}
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(data))
    schedule = load_schedule(edited)
    key = "+reward.custom_reward_function.reward_kwargs.mode"
    assert [schedule.stage_overrides(index)[key] for index in (0, 1)] == ["hard", "soft"]
