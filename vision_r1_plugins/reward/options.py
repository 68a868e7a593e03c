"""Options of the reward, as they arrive through verl's ``reward_kwargs`` or plain keyword arguments."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

Style = Literal["think_answer", "boxed"]
Mode = Literal["hard", "sum"]

STYLES: tuple[str, ...] = ("think_answer", "boxed")
# Keyword arguments verl's reward loop itself adds for reward-model routing; they are not our options.
FRAMEWORK_KEYS = frozenset({"reward_router_address", "reward_model_tokenizer"})
MODES: tuple[str, ...] = ("hard", "sum")


@dataclass(frozen=True)
class RewardOptions:
    """How a response is judged.

    style: ``think_answer`` (``<think>..</think><answer>..</answer>``) or ``boxed``
        (``<think>..</think>`` then free text ending with one ``\\boxed{}``, as verl's geometry3k data asks).
    think_in_prompt: the chat template already opened ``<think>``, so the response starts inside it.
    mode: ``hard`` (1 only when format and answer are right; the paper's reward) or ``sum``
        (format + accuracy, 1:1, the paper's Vision-R1-Zero baseline).
    timeout: seconds one answer may spend in math verification before it scores 0 with reason ``timeout``.
    max_answer_chars: a final answer longer than this (as written, padding included) is not an answer; it
        scores 0 (``answer_too_long``) without spending a verifier on it.
    max_queue_wait: seconds one answer may wait for a free verifier process; past it the sample scores 0 with
        reason ``verifier_busy`` (only when slow answers saturate the pool). A call therefore returns within
        ``max_queue_wait + timeout`` plus one worker start.
    """

    style: Style = "think_answer"
    think_in_prompt: bool = False
    mode: Mode = "hard"
    timeout: float = 5.0
    max_answer_chars: int = 1000
    max_queue_wait: float = 60.0

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ValueError(f"style must be one of {STYLES}, got {self.style!r}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        if not self.timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {self.timeout!r}")
        if self.max_answer_chars <= 0:
            raise ValueError(f"max_answer_chars must be > 0, got {self.max_answer_chars!r}")
        if not self.max_queue_wait >= 0:
            raise ValueError(f"max_queue_wait must be >= 0 seconds, got {self.max_queue_wait!r}")

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> RewardOptions:
        """Build from keyword arguments. A misspelt option raises instead of being ignored for a whole run;
        only the extras verl adds itself are skipped. Values from Hydra overrides may be strings ("true",
        "3"), so they are coerced.
        """
        names = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(kwargs) - names - FRAMEWORK_KEYS)
        if unknown:
            raise ValueError(f"unknown vision_r1 reward option(s) {unknown}; allowed: {sorted(names)}")
        values: dict[str, Any] = {}
        for key, value in kwargs.items():
            if key not in names or value is None:
                continue
            if key == "think_in_prompt":
                values[key] = _as_bool(value)
            elif key in ("timeout", "max_queue_wait"):
                values[key] = float(value)
            elif key == "max_answer_chars":
                values[key] = int(value)
            else:
                values[key] = str(value)
        return cls(**values)


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"expected a boolean, got {value!r}")
    return bool(value)
