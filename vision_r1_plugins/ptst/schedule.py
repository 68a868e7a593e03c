"""Progressive Thinking Suppression Training (PTST) schedules and the verl overrides each stage needs.

A schedule is a list of stages (``max_response_length``, ``rollout_n``, ``steps``) plus the verl overrides common
to all of them. Each stage is one verl run that resumes from the previous stage's last checkpoint; everything
that must change with the response length is derived here, so a user edits three numbers per stage and never
hand-tunes token limits (verl asserts ``*_max_token_len_per_gpu >= prompt + response``; 16K responses fail at
verl's defaults).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.ptst.adaptive import SwitchRule, parse_rule, stage_ends, stage_for_step

REWARD_PATH = "pkg://vision_r1_plugins.reward"
# Token-limit overrides that must cover prompt + response, or verl's sequence balancer asserts at runtime.
TOKEN_LIMIT_KEYS = (
    "actor_rollout_ref.actor.ppo_max_token_len_per_gpu",
    "actor_rollout_ref.rollout.log_prob_max_token_len_per_gpu",
    "actor_rollout_ref.ref.log_prob_max_token_len_per_gpu",
)
# vLLM limits, raised to cover prompt + response when the rollout is vLLM.
VLLM_LENGTH_KEYS = ("actor_rollout_ref.rollout.max_model_len", "actor_rollout_ref.rollout.max_num_batched_tokens")
# Every verl key the schedule writes itself (``_run_overrides``, ``hook_overrides``, ``stage_overrides``) or the
# PTST trainer switches at a stage boundary (``hook.PTSTTrainer._enter_stage``), with what sets it and the schedule
# field to edit instead. A value for one in the YAML's ``verl:`` block or a ``--set`` would be overwritten, or would
# undo the schedule (one response length for every stage, a checkpoint folder the next stage does not resume
# from). tests/ptst/test_set_overrides.py checks that every key the schedule or the trainer writes is here.
PER_STAGE = "is set per stage by the schedule"
SAVES = "is set by the schedule (every stage saves there, the next resumes there)"
RESUMES = "is set per stage by the schedule (a run resumes from the newest checkpoint in checkpoint_dir)"
MANAGED: dict[str, tuple[str, str]] = {  # key: (what the schedule does with it, the schedule field to set instead)
    "data.max_response_length": (PER_STAGE, "stages[i].max_response_length"),
    "actor_rollout_ref.rollout.response_length": (PER_STAGE, "stages[i].max_response_length"),
    "actor_rollout_ref.rollout.n": (PER_STAGE, "stages[i].rollout_n"),
    "trainer.total_training_steps": (f"{PER_STAGE} (the sum of the steps so far)", "stages[i].steps"),
    "trainer.default_local_dir": (SAVES, "checkpoint_dir"),
    "trainer.resume_mode": (RESUMES, "checkpoint_dir"),
    "trainer.resume_from_path": (RESUMES, "checkpoint_dir"),
    "trainer.experiment_name": ("is set by the schedule (its name, and the stage's in --mode stages)", "name"),
}
# Whole subtrees: the trainer's stage list and pinned stage, and the reward options (KEY: the option's name).
REWARD_KWARGS_KEY = "reward.custom_reward_function.reward_kwargs"
MANAGED_PREFIXES: dict[str, tuple[str, str]] = {
    "ptst": ("is written by the schedule from its stages", "stages"),
    REWARD_KWARGS_KEY: ("is written by the schedule from its reward: section", "reward.KEY"),
}
# Derived but a floor, not managed: a smaller value is raised to cover prompt + response, a larger one is kept.
FLOOR_KEYS = (*TOKEN_LIMIT_KEYS, *VLLM_LENGTH_KEYS)
# The PTST trainer's stage list in the verl config (``+ptst.stages=[...]`` on a Hydra command line), and in the
# stage runner's processes the one stage each runs (``+ptst.stage=INDEX``).
STAGES_KEY = "ptst.stages"
PINNED_STAGE_KEY = "ptst.stage"


STAGE_KEYS = frozenset({"name", "max_response_length", "rollout_n", "steps", "overrides", "switch"})
# Characters Hydra's override grammar would read as structure (lists, dicts, separators) unless quoted.
_NEEDS_QUOTES = re.compile(r"[\s,'\"\[\](){}:=]")


class ScheduleError(UsageError):
    """A schedule that would not run, or would not be PTST."""


@dataclass(frozen=True)
class Stage:
    """One PTST stage: its name, the response-length limit, rollouts per prompt (``n``) and steps (or a switch
    rule for an adaptive stage), plus its own verl overrides."""

    name: str
    max_response_length: int
    rollout_n: int
    steps: int
    overrides: Mapping[str, Any] = field(default_factory=dict)  # extra verl overrides for this stage only
    # Adaptive PTST: end the stage early on a training signal (``steps`` is then the upper bound).
    switch: SwitchRule | None = None

    @property
    def token_budget(self) -> int:
        return self.max_response_length * self.rollout_n


@dataclass(frozen=True)
class Schedule:
    """A PTST schedule (:func:`load_schedule`): the stages in order, the verl overrides they share, the checkpoint
    folder and the reward settings.

    >>> schedule = load_schedule("examples/verl/schedules/vision_r1_ptst_8gpu.yaml")  # doctest: +SKIP
    >>> [(stage.max_response_length, stage.rollout_n) for stage in schedule.stages]  # doctest: +SKIP
    [(4096, 16), (8192, 8), (16384, 4)]
    """

    name: str
    stages: tuple[Stage, ...]
    checkpoint_dir: str
    verl: Mapping[str, Any] = field(default_factory=dict)  # verl overrides shared by every stage
    reward: Mapping[str, Any] = field(default_factory=dict)  # options of vision_r1_plugins.reward
    allow_budget_change: bool = False

    # -- derived from the shared overrides
    def _int(self, key: str, default: int | None = None) -> int:
        value = _as_int(key, self.verl.get(key))
        if value is None:
            value = default
        if value is None:
            raise ScheduleError(f"the schedule's verl overrides must set {key}")
        return value

    def _floor(self, key: str, needed: int) -> int:
        return max(_as_int(key, self.verl.get(key)) or 0, needed)

    @property
    def max_prompt_length(self) -> int:
        return self._int("data.max_prompt_length")

    @property
    def train_batch_size(self) -> int:
        return self._int("data.train_batch_size")

    @property
    def world_size(self) -> int:
        return self._int("trainer.n_gpus_per_node", 8) * self._int("trainer.nnodes", 1)

    def end_step(self, index: int) -> int:
        """verl's global step is cumulative across resumed runs: stage i ends at the sum of steps so far."""
        return sum(stage.steps for stage in self.stages[: index + 1])

    def start_step(self, index: int) -> int:
        return self.end_step(index - 1) if index else 0

    # -- validation
    def validate(self) -> None:
        problems = []
        if not self.stages:
            problems.append("a schedule needs at least one stage")
        names = [stage.name for stage in self.stages]
        if len(set(names)) != len(names):
            problems.append(f"stage names must be unique: {names}")
        for stage in self.stages:
            for attribute in ("max_response_length", "rollout_n", "steps"):
                if getattr(stage, attribute) <= 0:
                    problems.append(f"stage {stage.name}: {attribute} must be > 0")
            # A stage's own reward options win over the shared ones (applied last): only the rest is refused.
            managed = sorted(
                key for key in stage.overrides if managed_message(key) and not _bare(key).startswith(REWARD_KWARGS_KEY)
            )
            if managed:
                problems.append(f"stage {stage.name}: {managed} are derived from the stage; set the stage fields")
        problems += [f"verl: {managed_message(key)}" for key in sorted(self.verl) if managed_message(key)]
        use_v1 = str(self.verl.get("trainer.use_v1", True)).strip().lower() not in ("false", "0", "no")
        if use_v1 and any(stage.switch is not None for stage in self.stages):
            problems.append(
                "switch rules (adaptive PTST) run on verl's classic trainer: set trainer.use_v1: false "
                "in the verl overrides"
            )
        if self.stages and self.stages[-1].switch is not None:
            problems.append(
                f"stage {self.stages[-1].name} is the last: its switch rule has no stage to switch to "
                "(remove it; the last stage runs its steps)"
            )
        budgets = {stage.token_budget for stage in self.stages}
        if len(budgets) > 1 and not self.allow_budget_change:
            detail = ", ".join(f"{s.name} {s.max_response_length}x{s.rollout_n}={s.token_budget}" for s in self.stages)
            problems.append(
                f"PTST keeps max_response_length x rollout_n constant ({detail}); "
                "set allow_budget_change: true to run a different budget on purpose"
            )
        try:
            batch, world = self.train_batch_size, self.world_size
            mini = self._int("actor_rollout_ref.actor.ppo_mini_batch_size", batch)
            problems += batch_split_problems(self.stages, batch, mini, world, world)
            if batch % mini:
                problems.append(f"data.train_batch_size {batch} is not a multiple of ppo_mini_batch_size {mini}")
            self.max_prompt_length  # noqa: B018 - raises when missing
        except ScheduleError as error:
            problems.append(str(error))
        if problems:
            raise ScheduleError("invalid PTST schedule:\n  - " + "\n  - ".join(problems))

    @property
    def total_steps(self) -> int:
        return self.end_step(len(self.stages) - 1)

    @property
    def longest_response(self) -> int:
        return max(stage.max_response_length for stage in self.stages)

    def _engine_lengths(self, sequence: int) -> dict[str, int]:
        """vLLM's length limits, at least prompt + response: verl's default ``max_num_batched_tokens`` (8192)
        is below an 8K-response stage's 9216 tokens, and vLLM refuses that without chunked prefill."""
        if self.verl.get("actor_rollout_ref.rollout.name", "vllm") != "vllm":
            return {}
        return {key: self._floor(key, sequence) for key in VLLM_LENGTH_KEYS}

    def _run_overrides(self, response_length: int, rollout_n: int, total_steps: int, experiment: str) -> dict[str, Any]:
        """What one verl process needs besides its resume settings: the shared overrides, the lengths derived
        from ``response_length`` (token caps, vLLM limits), the step count, the checkpoint folder, the reward."""
        sequence = self.max_prompt_length + response_length
        overrides: dict[str, Any] = dict(self.verl)
        overrides["data.max_response_length"] = response_length
        overrides["actor_rollout_ref.rollout.n"] = rollout_n
        for key in TOKEN_LIMIT_KEYS:
            overrides[key] = self._floor(key, sequence)
        overrides.update(self._engine_lengths(sequence))
        overrides["trainer.total_training_steps"] = total_steps
        overrides["trainer.default_local_dir"] = self.checkpoint_dir
        overrides["trainer.experiment_name"] = experiment
        overrides.setdefault("reward.custom_reward_function.path", REWARD_PATH)
        overrides.setdefault("reward.custom_reward_function.name", "compute_score")
        for key, value in self.reward.items():
            overrides[f"+reward.custom_reward_function.reward_kwargs.{key}"] = value
        return overrides

    # -- the hook mode: one verl run for every stage
    def hook_overrides(self) -> dict[str, Any]:
        """Every verl override of the one-run (hook) mode. What verl fixes at start is sized for the longest
        stage; ``rollout.n`` and the response length start at the first stage's and are switched by the hook.
        verl resumes from the newest checkpoint in ``checkpoint_dir`` by itself (``resume_mode=auto``)."""
        overrides = self._run_overrides(self.longest_response, self.stages[0].rollout_n, self.total_steps, self.name)
        overrides["trainer.resume_mode"] = "auto"
        overrides.setdefault("trainer.save_freq", min(stage.steps for stage in self.stages))
        for stage in self.stages:
            if stage.overrides:
                raise ScheduleError(
                    f"stage {stage.name}: per-stage verl overrides need --mode stages (one verl "
                    "process per stage); the hook mode shares one config"
                )
        overrides[f"+{STAGES_KEY}"] = [stage_record(stage) for stage in self.stages]
        return overrides

    # -- per-stage overrides
    def stage_overrides(self, index: int, resume_from: str | None = None) -> dict[str, Any]:
        """Every verl override of stage ``index``: shared ones, derived ones, then the stage's own."""
        stage = self.stages[index]
        if any(item.switch is not None for item in self.stages):
            raise ScheduleError(
                "switch rules (adaptive PTST) need the hook mode, one verl run for every stage: "
                "run without --mode stages"
            )
        overrides = self._run_overrides(
            stage.max_response_length, stage.rollout_n, self.end_step(index), f"{self.name}-{stage.name}"
        )
        # A checkpoint at every stage boundary: the next stage starts from exactly this step.
        overrides.setdefault("trainer.save_freq", stage.steps)
        if resume_from is None:
            overrides["trainer.resume_mode"] = "disable"
        else:
            overrides["trainer.resume_mode"] = "resume_path"
            overrides["trainer.resume_from_path"] = resume_from
        overrides[f"+{STAGES_KEY}"] = [stage_record(item) for item in self.stages]
        overrides[f"+{PINNED_STAGE_KEY}"] = index
        overrides.update(stage.overrides)
        return overrides


def _bare(key: str) -> str:
    """A Hydra override's key without its ``+``/``++``/``~`` (append, force, delete) prefix."""
    return key.lstrip("+~")


def _as_int(key: str, value: Any) -> int | None:
    """An integer setting from YAML (an int) or ``--set`` (a string); None when unset (``null``)."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "null", "none")):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ScheduleError(f"{key} must be an integer, got {value!r}") from None


def managed_message(key: str) -> str | None:
    """Why ``key`` may not be given as a verl override (and what to set instead), or None when it may."""
    bare = _bare(key)
    if bare in MANAGED:
        how, field_name = MANAGED[bare]
        return f"{bare} {how}: set {field_name} in the YAML"
    for prefix, (how, field_name) in MANAGED_PREFIXES.items():
        if bare == prefix or bare.startswith(prefix + "."):
            option = bare[len(prefix) + 1 :]
            target = field_name.replace("KEY", option) if option else field_name.replace(".KEY", "")
            return f"{bare} {how}: set {target} in the YAML"
    inside = sorted(name for name in (*MANAGED, *MANAGED_PREFIXES) if name.startswith(bare + "."))
    if inside:  # a whole subtree (trainer={...}) would replace what the schedule sets in it
        return f"{bare} holds {', '.join(inside)}, which the schedule sets: give the other keys one by one"
    return None


def refuse_managed(overrides: Mapping[str, Any], source: str = "--set") -> None:
    """A ``UsageError`` (one or two lines) for the first key of ``overrides`` the schedule sets itself."""
    refused = [key for key in overrides if managed_message(key)]
    if not refused:
        return
    message = f"{source} {managed_message(refused[0])}"
    if len(refused) > 1:
        message += f"\nalso set by the schedule: {', '.join(_bare(key) for key in refused[1:])}"
    raise ScheduleError(message)


def with_overrides(schedule: Schedule, overrides: Mapping[str, Any]) -> tuple[Schedule, list[str]]:
    """The schedule with ``overrides`` (``--set``) as part of its shared verl overrides, so that they are checked
    (:meth:`Schedule.validate`) and derived from (token caps from ``data.max_prompt_length``) like the YAML's own.
    Keys the schedule sets are refused. A ``--set`` applies to every stage: it replaces a stage's own override
    of that key (the notes say which). Returns the schedule and those notes."""
    refuse_managed(overrides)
    if not overrides:
        return schedule, []
    given = {_bare(key) for key in overrides}
    # Another spelling of the same key (x and ++x) would reach Hydra twice: the --set's replaces the YAML's.
    verl = {key: value for key, value in schedule.verl.items() if _bare(key) not in given or key in overrides}
    verl.update(overrides)
    notes, stages = [], []
    for stage in schedule.stages:
        replaced = sorted(key for key in stage.overrides if _bare(key) in given)
        if replaced:
            notes.append(f"--set replaces stage {stage.name}'s own {', '.join(replaced)}")
        kept = {key: value for key, value in stage.overrides.items() if _bare(key) not in given}
        stages.append(replace(stage, overrides=kept))
    return replace(schedule, verl=verl, stages=tuple(stages)), notes


def batch_split_problems(
    stages: tuple[Stage, ...] | list[Stage], batch: int, mini: int, gpus: int, data_parallel: int
) -> list[str]:
    """verl splits each stage's rollout batch over the GPUs and its mini-batches over the data-parallel ranks,
    both ``x n``; it checks this for its start config only."""
    problems = []
    for stage in stages:
        if (batch * stage.rollout_n) % gpus:
            problems.append(
                f"stage {stage.name}: train_batch_size x n = {batch * stage.rollout_n} does not split over {gpus} GPUs"
            )
        if (mini * stage.rollout_n) % data_parallel:
            problems.append(
                f"stage {stage.name}: ppo_mini_batch_size x n = {mini * stage.rollout_n} does not "
                f"split over {data_parallel} data-parallel ranks"
            )
    return problems


def stage_record(stage: Stage) -> dict[str, Any]:
    record = {
        "name": stage.name,
        "max_response_length": stage.max_response_length,
        "rollout_n": stage.rollout_n,
        "steps": stage.steps,
    }
    if stage.switch is not None:
        record["switch"] = stage.switch.record()
    return record


def stages_from_config(config: Any) -> tuple[Stage, ...]:
    """The hook's stages from a verl config's ``ptst.stages`` (a list of mappings), checked."""
    ptst = config.get("ptst") if hasattr(config, "get") else None
    items = ptst.get("stages") if ptst is not None else None
    if not items:
        raise ScheduleError(
            "the PTST trainer needs ptst.stages in the verl config, e.g. "
            "+ptst.stages='[{name:s1,max_response_length:4096,rollout_n:16,steps:100},"
            "{name:s2,max_response_length:8192,rollout_n:8,steps:100}]'"
        )
    try:
        stages = tuple(
            Stage(
                name=str(item.get("name") or f"stage{number + 1}"),
                max_response_length=int(item["max_response_length"]),
                rollout_n=int(item["rollout_n"]),
                steps=int(item["steps"]),
                switch=parse_rule(str(item.get("name") or f"stage{number + 1}"), _plain(item.get("switch"))),
            )
            for number, item in enumerate(items)
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ScheduleError(
            f"ptst.stages: each stage needs max_response_length, rollout_n and steps ({error})"
        ) from error
    for stage in stages:
        for attribute in ("max_response_length", "rollout_n", "steps"):
            if getattr(stage, attribute) <= 0:
                raise ScheduleError(f"ptst.stages: stage {stage.name}: {attribute} must be > 0")
    return stages


def _plain(value: Any) -> Any:
    """An OmegaConf node as plain Python (the hook reads its stages from verl's config)."""
    if value is None or type(value) is dict:
        return value
    try:
        from omegaconf import OmegaConf

        return OmegaConf.to_container(value) if OmegaConf.is_config(value) else value
    except ImportError:
        return value


def pinned_stage(config: Any) -> int | None:
    """The one stage a stage-runner process runs (``ptst.stage``), or None in the hook mode."""
    ptst = config.get("ptst") if hasattr(config, "get") else None
    value = ptst.get("stage") if ptst is not None else None
    return None if value is None else int(value)


def stage_index_for_step(stages: tuple[Stage, ...] | list[Stage], step: int) -> int:
    """The stage a (1-based, cumulative) global step belongs to when every stage runs its steps; steps past the
    schedule stay in the last."""
    return stage_for_step(stage_ends([stage.steps for stage in stages], {}), step)


def checkpoint_path(checkpoint_dir: str | Path, step: int) -> Path:
    return Path(checkpoint_dir) / f"global_step_{step}"


def load_schedule(path: str | Path, validate: bool = True) -> Schedule:
    """A schedule file, checked unless ``validate`` is False (a caller that adjusts it first, then validates)."""
    source = Path(path)
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ScheduleError(f"cannot read schedule {source}: {error}") from error
    if not isinstance(data, dict):
        raise ScheduleError(f"{source} must hold a mapping with name, checkpoint_dir, verl and stages")
    known = {"name", "stages", "checkpoint_dir", "verl", "reward", "allow_budget_change"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ScheduleError(f"{source}: unknown keys {unknown}; allowed: {sorted(known)}")
    for number, item in enumerate(data.get("stages") or []):
        extra = sorted(set(item) - STAGE_KEYS) if isinstance(item, dict) else []
        if extra:
            raise ScheduleError(
                f"{source}: stage {item.get('name', number + 1)} has unknown keys {extra}; allowed: "
                f"{sorted(STAGE_KEYS)}"
            )
    try:
        stages = tuple(
            Stage(
                name=str(item.get("name", f"stage{number + 1}")),
                max_response_length=int(item["max_response_length"]),
                rollout_n=int(item["rollout_n"]),
                steps=int(item["steps"]),
                overrides=dict(item.get("overrides") or {}),
                switch=parse_rule(str(item.get("name", f"stage{number + 1}")), item.get("switch")),
            )
            for number, item in enumerate(data.get("stages") or [])
        )
        schedule = Schedule(
            name=str(data.get("name") or source.stem),
            stages=stages,
            checkpoint_dir=str(data.get("checkpoint_dir") or f"checkpoints/{data.get('name') or source.stem}"),
            verl=dict(data.get("verl") or {}),
            reward=dict(data.get("reward") or {}),
            allow_budget_change=bool(data.get("allow_budget_change", False)),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ScheduleError(f"{source}: each stage needs max_response_length, rollout_n and steps ({error})") from error
    if validate:
        schedule.validate()
    return schedule


def hydra_value(value: Any, nested: bool = False) -> str:
    """A value as Hydra's command line reads it: lists as ``[a,b]``, mappings as ``{k:v}``, booleans lowercase,
    None as null. A top-level string passes through as written (``--set trainer.logger=[console,file]`` is Hydra
    syntax on purpose); a string inside a list or mapping is quoted when Hydra would read it as structure."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list | tuple):
        return "[" + ",".join(hydra_value(item, nested=True) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{key}:{hydra_value(item, nested=True)}" for key, item in value.items()) + "}"
    if nested and isinstance(value, str) and _NEEDS_QUOTES.search(value):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(value)


def format_override(key: str, value: Any) -> str:
    return f"{key}={hydra_value(value)}"
