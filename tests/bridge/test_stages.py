"""The bridge's stage registry, its prompts, and how a reasoner's reply is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from vision_r1_plugins.answers import stated_answer
from vision_r1_plugins.bridge.pipeline import split_reasoning
from vision_r1_plugins.bridge.stages import STAGES, BridgeStage, load_prompts, register_stage
from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.generation import ChatResult


def test_reasoning_split_and_stated_answer() -> None:
    assert split_reasoning(ChatResult("The answer is \\boxed{7}.", "so 3+4=7")) == (
        "so 3+4=7",
        "The answer is \\boxed{7}.",
    )
    assert split_reasoning(ChatResult("<think>\nso 7\n</think>\n\nThe answer is \\boxed{7}.")) == (
        "so 7",
        "The answer is \\boxed{7}.",
    )
    assert split_reasoning(ChatResult("no thinking here")) == ("", "no thinking here")
    assert stated_answer("Thus \\boxed{\\frac{1}{2}}.") == "\\frac{1}{2}"
    assert stated_answer("Final Answer: C.") == "C"
    assert stated_answer("I am not sure.") == ""


def test_prompt_overrides_change_the_version(tmp_path: Path) -> None:
    ours = load_prompts()
    (tmp_path / "reasoning.txt").write_text("Reason about ${description} to answer ${question}.")
    mixed = load_prompts(tmp_path)
    assert mixed["caption_cot"] == ours["caption_cot"] and mixed["reasoning"].version != ours["reasoning"].version
    (tmp_path / "description.txt").write_text("No placeholders at all.")
    with pytest.raises(ValueError, match="placeholders"):
        load_prompts(tmp_path)


def test_registry_keeps_the_papers_order_and_rejects_bad_stages() -> None:
    assert list(STAGES) == ["caption_cot", "description", "reasoning"]
    assert [stage.role for stage in STAGES.values()] == ["mllm", "mllm", "reasoner"]
    with pytest.raises(ValueError, match="already registered"):
        register_stage(BridgeStage("reasoning", "reasoner", False, frozenset(), {}))
    with pytest.raises(ValueError, match="unregistered stages"):
        register_stage(BridgeStage("verify", "reasoner", False, frozenset(), {"x": "nope"}))
    assert "verify" not in STAGES
    with pytest.raises(UsageError, match="not a folder"):
        load_prompts(Path("/nonexistent-prompts"))


def test_production_prompts_carry_no_test_markers() -> None:
    for prompt in load_prompts().values():
        assert "STAGE:" not in prompt.text
