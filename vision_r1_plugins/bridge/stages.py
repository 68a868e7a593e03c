"""The bridge's stages, in the order a sample goes through them, and their prompts.

Each stage is one request: which model answers it (the MLLM or the text-only reasoner), whether the images go
with it, and which placeholders its prompt fills from the problem and earlier stages' replies. The paper's three
are registered here; :func:`register_stage` adds another (CONTRIBUTING.md shows how), and ``--prompts-dir``
replaces any stage's prompt with a file of the same name.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.core.problems import Problem
from vision_r1_plugins.core.registry import Registry
from vision_r1_plugins.generation import ChatResult

PROMPTS_DIR = Path(__file__).with_name("prompts")
Role = Literal["mllm", "reasoner"]
# Values a prompt may use from the problem itself; a stage adds the replies it depends on.
ProblemValues = Callable[[Problem], dict[str, str]]


def problem_values(problem: Problem) -> dict[str, str]:
    return {"question": problem.question_with_choices(), "answer": problem.answer}


@dataclass(frozen=True)
class BridgeStage:
    """``replies`` maps a placeholder to the earlier stage whose reply (its content) fills it."""

    name: str
    role: Role
    with_images: bool
    placeholders: frozenset[str]
    replies: Mapping[str, str]

    def values(self, problem: Problem, earlier: Mapping[str, ChatResult]) -> dict[str, str]:
        values = problem_values(problem)
        values.update({placeholder: earlier[stage].content for placeholder, stage in self.replies.items()})
        return values


STAGES: Registry[BridgeStage] = Registry("bridge stage")


def register_stage(stage: BridgeStage) -> BridgeStage:
    """Append a stage to the pipeline. Its replies must come from stages registered before it."""
    unknown = [source for source in stage.replies.values() if source not in STAGES]
    if unknown:
        raise ValueError(f"stage {stage.name!r} uses replies of unregistered stages {unknown}")
    return STAGES.register(stage.name, stage)


def get_stage(name: str) -> BridgeStage:
    return STAGES.require(name)


def stage_names() -> tuple[str, ...]:
    return tuple(STAGES)


# 1. The MLLM writes a pseudo-CoT (caption + reasoning) from the image, the question and the gold as a hint.
register_stage(BridgeStage("caption_cot", "mllm", True, frozenset({"question", "answer"}), {}))
# 2. The MLLM writes a detailed description from the image, the question and that pseudo-CoT.
register_stage(
    BridgeStage("description", "mllm", True, frozenset({"question", "pseudo_cot"}), {"pseudo_cot": "caption_cot"})
)
# 3. The text-only reasoner reasons from the description and the question.
register_stage(
    BridgeStage("reasoning", "reasoner", False, frozenset({"question", "description"}), {"description": "description"})
)


@dataclass(frozen=True)
class Prompt:
    stage: str
    text: str

    @property
    def version(self) -> str:
        """Changing a prompt changes its version, so cached results of the old prompt are not reused."""
        return hashlib.sha256(self.text.encode()).hexdigest()[:12]

    def render(self, **values: str) -> str:
        return string.Template(self.text).substitute(values)


def load_prompts(override_dir: str | Path | None = None) -> dict[str, Prompt]:
    """Our prompts, each replaceable by a file of the same name (``caption_cot.txt``, ...) in ``override_dir``."""
    if override_dir is not None and not Path(override_dir).is_dir():
        raise UsageError(f"--prompts-dir {override_dir} is not a folder")
    prompts = {}
    for stage in STAGES.values():
        path = Path(override_dir) / f"{stage.name}.txt" if override_dir else None
        if path is None or not path.is_file():
            path = PROMPTS_DIR / f"{stage.name}.txt"
        prompt = Prompt(stage.name, path.read_text(encoding="utf-8"))
        missing = stage.placeholders - _placeholders(prompt.text)
        if missing:
            raise UsageError(f"prompt {path} lacks placeholders {sorted('${' + name + '}' for name in missing)}")
        prompts[stage.name] = prompt
    return prompts


def _placeholders(text: str) -> set[str]:
    return {
        match.group("named") or match.group("braced")
        for match in string.Template.pattern.finditer(text)
        if match.group("named") or match.group("braced")
    }
