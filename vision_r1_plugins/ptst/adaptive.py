"""Adaptive PTST: a stage that ends when its training signal says so, not after a fixed number of steps.

The paper fixed its stage lengths by hand. A stage may instead carry a switch rule (the schedule's ``switch:``)::

    switch: {signal: clip_ratio, below: 0.05, patience: 3}    # responses no longer hit the length limit
    switch: {signal: reward_plateau, min_delta: 0.02, patience: 4}  # the reward stopped improving

``clip_ratio`` ends the stage once the share of responses cut at the stage's length limit stays below ``below``
for ``patience`` consecutive steps (the model has learnt to answer within the limit). ``reward_plateau`` ends it
once the mean reward has not beaten its best so far in the stage by more than ``min_delta`` for ``patience``
steps. The stage's ``steps`` stays the upper bound; the last stage has nothing to switch to and runs its steps.
Steps a stage does not use are not given to later stages: the run ends earlier.

The decisions (which stage ended early, at which step) and the signal history of the current stage are saved in
every checkpoint (``global_step_N/ptst_state.json``), so a resumed run lands in the same stage and continues the
same patience count. Pure functions: the trainer (:mod:`vision_r1_plugins.ptst.hook`) feeds them one step's
numbers and acts on the answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.errors import UsageError

SIGNALS = ("clip_ratio", "reward_plateau")
STATE_FILE = "ptst_state.json"


@dataclass(frozen=True)
class SwitchRule:
    signal: str
    patience: int
    below: float = 0.0  # clip_ratio: the share of clipped responses to stay under
    min_delta: float = 0.0  # reward_plateau: the improvement that still counts as improving

    def record(self) -> dict[str, Any]:
        if self.signal == "clip_ratio":
            return {"signal": self.signal, "below": self.below, "patience": self.patience}
        return {"signal": self.signal, "min_delta": self.min_delta, "patience": self.patience}

    def describe(self) -> str:
        if self.signal == "clip_ratio":
            return f"clip ratio below {self.below:g} for {self.patience} steps"
        return f"reward not improving by more than {self.min_delta:g} for {self.patience} steps"


def parse_rule(stage: str, value: Any) -> SwitchRule | None:
    """A stage's ``switch:`` mapping as a rule; None when absent. Unknown signals and keys are refused."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise UsageError(
            f"stage {stage}: switch must be a mapping such as {{signal: clip_ratio, below: 0.05, patience: 3}}"
        )
    signal = value.get("signal")
    if signal not in SIGNALS:
        raise UsageError(f"stage {stage}: switch.signal must be one of {', '.join(SIGNALS)}, got {signal!r}")
    allowed = {"signal", "patience", "below" if signal == "clip_ratio" else "min_delta"}
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise UsageError(f"stage {stage}: switch with signal {signal} takes {sorted(allowed)}, not {unknown}")
    try:
        patience = int(value.get("patience", 3))
        below = float(value.get("below", 0.05)) if signal == "clip_ratio" else 0.0
        min_delta = float(value.get("min_delta", 0.0)) if signal == "reward_plateau" else 0.0
    except (TypeError, ValueError) as error:
        raise UsageError(f"stage {stage}: switch values must be numbers ({error})") from None
    if patience < 1:
        raise UsageError(f"stage {stage}: switch.patience must be >= 1, got {patience}")
    if signal == "clip_ratio" and not 0.0 < below <= 1.0:
        raise UsageError(f"stage {stage}: switch.below must be in (0, 1], got {below}")
    if min_delta < 0:
        raise UsageError(f"stage {stage}: switch.min_delta must be >= 0, got {min_delta}")
    return SwitchRule(str(signal), patience, below, min_delta)


def signal_value(rule: SwitchRule, clip_ratio: float, reward: float) -> float:
    """The number a step contributes to its stage's history."""
    return clip_ratio if rule.signal == "clip_ratio" else reward


def should_switch(rule: SwitchRule, history: Sequence[float]) -> bool:
    """Whether the stage ends after the last step of ``history`` (its signal values, oldest first)."""
    if len(history) < rule.patience:
        return False
    if rule.signal == "clip_ratio":
        return all(value < rule.below for value in history[-rule.patience :])
    if len(history) <= rule.patience:  # a best before the window is needed to have stopped improving on it
        return False
    best_before = max(history[: -rule.patience])
    return max(history[-rule.patience :]) <= best_before + rule.min_delta


@dataclass
class SwitchState:
    """What a checkpoint keeps: the step each early-ended stage ended at, and the current stage's signal history."""

    ended: dict[int, int] = field(default_factory=dict)  # stage index -> its last step
    history: list[float] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)
    stage: int | None = None  # the stage whose signal ``history`` holds

    def observe(self, stage: int, value: float) -> list[float]:
        """Add one step's signal value for ``stage`` (another stage's history is dropped); returns the history."""
        if self.stage != stage:
            self.stage, self.history = stage, []
        self.history.append(value)
        return self.history

    def to_json(self) -> dict[str, Any]:
        return {
            "ended": {str(index): step for index, step in self.ended.items()},
            "history": self.history,
            "stage": self.stage,
            "reasons": {str(index): reason for index, reason in self.reasons.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SwitchState:
        stage = data.get("stage")
        return cls(
            ended={int(index): int(step) for index, step in (data.get("ended") or {}).items()},
            history=[float(value) for value in data.get("history") or []],
            reasons={int(index): str(reason) for index, reason in (data.get("reasons") or {}).items()},
            stage=None if stage is None else int(stage),
        )


def stage_ends(steps: Sequence[int], ended: Mapping[int, int]) -> list[int]:
    """Each stage's last global step: its early end where it has one, else its start plus its steps."""
    ends, end = [], 0
    for index, count in enumerate(steps):
        end = ended.get(index, end + count)
        ends.append(end)
    return ends


def stage_for_step(ends: Sequence[int], step: int) -> int:
    for index, end in enumerate(ends):
        if step <= end:
            return index
    return len(ends) - 1


def save_state(folder: str | Path, state: SwitchState, total_steps: int) -> Path:
    path = Path(folder) / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**state.to_json(), "total_steps": total_steps}) + "\n", encoding="utf-8")
    return path


def load_state(folder: str | Path) -> tuple[SwitchState, int | None] | None:
    """The state a checkpoint folder saved, and the run's total steps then; None when it saved none."""
    path = Path(folder) / STATE_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    total = data.get("total_steps")
    return SwitchState.from_json(data), int(total) if total is not None else None
