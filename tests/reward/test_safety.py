"""The reward never raises, never hangs, works off the main thread, and stays linear on huge responses."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vision_r1_plugins.reward import compute_score, parse_response
from vision_r1_plugins.reward.pool import get_pool

TEMPLATE = "<think>\nreasoning\n</think>\n<answer>{}</answer>"
FRAGMENTS = [
    "<think>",
    "</think>",
    "<answer>",
    "</answer>",
    "<Think>",
    "< answer>",
    "\\boxed{",
    "}",
    "{",
    "$",
    "\\frac{",
    "\\sqrt",
    "^",
    "9^{9^{9}}",
    "Final Answer:",
    " or ",
    ",",
    "(",
    ")",
    "[",
    "A",
    "C.",
    "\\pi",
    "=",
    "x",
    "1,000",
    "\\left(",
    "\\\\",
    "\n",
    " ",
    "<|im_end|>",
    "\x00",
    "é",
    "∞",
    "π",
    "\\text{",
    "%",
]
adversarial = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), max_size=40).map("".join)
DEADLINE = 2.0
# A sample may wait for a busy or restarting worker; the slack covers one worker start, not a hang.
SLACK = 15.0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(response=adversarial, gold=adversarial, choices=st.none() | st.lists(st.text(max_size=6), max_size=5))
def test_random_inputs_never_raise_and_return_in_time(response: str, gold: str, choices: list[str] | None) -> None:
    start = time.monotonic()
    result = compute_score("fuzz", response, gold, {"choices": choices}, timeout=DEADLINE)
    assert time.monotonic() - start < DEADLINE + SLACK
    assert result["score"] in (0.0, 1.0)
    assert isinstance(result["reason"], str) and isinstance(result["pred"], str)


@settings(max_examples=60, deadline=None)
@given(answer=adversarial)
def test_adversarial_answers_in_a_valid_response(answer: str) -> None:
    result = compute_score("fuzz", TEMPLATE.format(answer), "\\frac{1}{2}", timeout=DEADLINE)
    assert result["score"] in (0.0, 1.0)


@pytest.mark.parametrize("value", [None, 3, 2.5, ["7"], {"a": 1}, b"7", True])
def test_non_string_inputs(value: object) -> None:
    result = compute_score("x", TEMPLATE.format("7"), value)
    assert result["score"] in (0.0, 1.0)
    assert compute_score("x", value, "7")["score"] == 0.0


def test_numeric_and_singleton_golds_are_accepted() -> None:
    assert compute_score("x", TEMPLATE.format("3"), 3)["score"] == 1.0
    assert compute_score("x", TEMPLATE.format("7"), ["7"])["score"] == 1.0
    assert compute_score("x", TEMPLATE.format("7"), None)["reason"] == "bad_ground_truth"


def test_padding_cannot_hide_an_answer() -> None:
    assert compute_score("x", TEMPLATE.format(" " * 5000 + "7"), "7")["score"] == 1.0
    assert compute_score("x", TEMPLATE.format("7" * 1001), "7")["reason"] == "answer_too_long"


def test_option_typos_raise_and_verl_extras_pass() -> None:
    with pytest.raises(ValueError, match="unknown vision_r1 reward option"):
        compute_score("x", TEMPLATE.format("7"), "7", moed="sum")
    with pytest.raises(ValueError, match="mode must be one of"):
        compute_score("x", TEMPLATE.format("7"), "7", mode="soft")
    result = compute_score("x", TEMPLATE.format("7"), "7", reward_router_address=None, think_in_prompt="false")
    assert result["score"] == 1.0


def test_hanging_answer_times_out_and_the_worker_is_replaced() -> None:
    pool = get_pool()
    restarts = pool.restarts
    start = time.monotonic()
    result = compute_score("x", TEMPLATE.format("9^{9^{9^{9^{9}}}}"), "5", timeout=1.0)
    elapsed = time.monotonic() - start
    assert result == {
        "score": 0.0,
        "format_ok": True,
        "answer_ok": False,
        "pred": "9^{9^{9^{9^{9}}}}",
        "reason": "timeout",
    }
    assert elapsed < 1.0 + SLACK
    assert pool.restarts == restarts + 1
    # The pool keeps working after a kill.
    assert compute_score("x", TEMPLATE.format("\\frac{2}{4}"), "0.5")["score"] == 1.0


def test_called_from_non_main_threads_as_verl_does() -> None:
    results: list[dict] = []
    thread = threading.Thread(
        target=lambda: results.append(compute_score("x", TEMPLATE.format("\\sqrt{12}"), "2\\sqrt{3}"))
    )
    thread.start()
    thread.join(timeout=120)
    assert results and results[0]["score"] == 1.0
    golds = ["\\frac{1}{3}", "0.25", "2^{10}", "x^2+2x+1", "[0,1)"]
    preds = ["2/6", "\\frac{1}{4}", "1024", "(x+1)^2", "[0, 1]"]
    with ThreadPoolExecutor(max_workers=8) as executor:
        scores = list(
            executor.map(
                lambda pair: compute_score("x", TEMPLATE.format(pair[0]), pair[1])["score"],
                zip(preds, golds, strict=True),
            )
        )
    assert scores == [1.0, 1.0, 1.0, 1.0, 0.0]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "response",
    [
        "<think>" + "Wait, let me re-check. " * 9000 + "</think><answer>7</answer>",  # ~200K characters
        "<think>" + "<" + " " * 200_000 + "</think><answer>7</answer>",
        "<think>" + "< /" * 70_000 + "</think><answer>7</answer>",
        "<think>" + "\\boxed{" * 70_000 + "</think><answer>7</answer>",
        "<think>" + "{" * 200_000 + "</think>\\boxed{7}",
        "<answer>" * 50_000,
    ],
    ids=["long-thinking", "whitespace-run", "tag-prefixes", "open-boxes", "open-braces", "answer-tags"],
)
def test_long_adversarial_responses_are_linear(response: str) -> None:
    # The pytest timeout is a hang guard: a quadratic scan of 200K characters would not finish.
    for style in ("think_answer", "boxed"):
        parse_response(response, style=style)
    result = compute_score("x", response, "7")
    assert result["score"] in (0.0, 1.0)
