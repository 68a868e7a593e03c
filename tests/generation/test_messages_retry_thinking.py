"""Generation's pure parts: retry policy, the think split and join, reflection markers, the registry."""

from __future__ import annotations

import random

import pytest

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.generation import (
    BackendConfig,
    ChatResult,
    join_thinking,
    make_backend,
    reflection_markers,
    register_backend,
    split_thinking,
)
from vision_r1_plugins.generation.retry import RetryPolicy, parse_retry_after


def test_retry_policy_and_retry_after() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0)
    rng = random.Random(0)
    assert all(0 <= policy.delay(attempt, None, rng) <= min(10.0, 2**attempt) for attempt in range(8))
    assert all(policy.delay(0, 3.0, rng) >= 3.0 for _ in range(20))  # never sooner than the server asked
    assert policy.delay(0, 1000.0, rng) == 10.0
    assert parse_retry_after("2.5") == 2.5 and parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_think_split_and_join_are_inverse() -> None:
    assert split_thinking(join_thinking("so 3+4=7", "<answer>7</answer>")) == ("so 3+4=7", "<answer>7</answer>")
    # A template that opened <think> in the prompt: everything before the close is thinking.
    assert split_thinking("so 7\n</think>\nThe answer is 7.") == ("so 7", "The answer is 7.")
    assert split_thinking("no thinking here") == ("", "no thinking here")
    # The last </think> closes the thinking: a model quoting the tag mid-thought keeps thinking.
    assert split_thinking("<think>a </think> b</think>c") == ("a </think> b", "c")
    assert ChatResult("7", reasoning="3+4").text == "<think>\n3+4\n</think>\n7"
    assert ChatResult("7").text == "7"


def test_reflection_markers_count_each_marker() -> None:
    text = "Wait, hmm. Let me double-check. wait again; double checking; Hmmm; awaiting"
    assert reflection_markers(text) == {"wait": 2, "hmm": 2, "double_check": 2}
    assert reflection_markers("") == {"wait": 0, "hmm": 0, "double_check": 0}


def test_backend_registry_rejects_duplicates_and_unknown_names() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_backend("openai", lambda config: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(UsageError, match=r"unknown backend 'tgi'.*openai"):
        make_backend(BackendConfig("tgi", "m"))
    with pytest.raises(UsageError, match="--base-url"):
        make_backend(BackendConfig("openai", "m"))
    with pytest.raises(UsageError, match="needs a model"):
        make_backend(BackendConfig("transformers", ""))
