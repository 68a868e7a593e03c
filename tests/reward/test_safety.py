"""The reward never raises, never hangs, works off the main thread, and stays linear on huge responses."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vision_r1_plugins.answers.pool import get_pool
from vision_r1_plugins.reward import compute_score
from vision_r1_plugins.reward.response_format import parse_response

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


def test_golds_of_any_numeric_type() -> None:
    import numpy as np

    from vision_r1_plugins.reward.scorer import as_gold

    assert as_gold(np.int64(5)) == "5" and as_gold(np.float64(2.5)) == "2.5" and as_gold(np.array([7])) == "7"
    assert (
        as_gold(1e-07) == "0.0000001" and as_gold(np.float32(0.1)) == "0.1" and as_gold(1e20) == "100000000000000000000"
    )
    assert compute_score("x", TEMPLATE.format("5"), np.int64(5))["score"] == 1.0
    assert compute_score("x", TEMPLATE.format("0.0000001"), 1e-07)["score"] == 1.0
    for missing in (float("nan"), float("inf"), np.nan, "nan", "N/A", "", " ", "None", None, True):
        result = compute_score("x", TEMPLATE.format("nan"), missing)
        assert result["reason"] == "bad_ground_truth", missing


def test_answer_cap_counts_the_answer_as_written() -> None:
    assert compute_score("x", TEMPLATE.format("\n 7 \n"), "7")["score"] == 1.0
    assert compute_score("x", TEMPLATE.format("7" * 1001), "7")["reason"] == "answer_too_long"
    # Padding is length too: cleaning or cutting must not turn a runaway answer into a short one.
    assert compute_score("x", TEMPLATE.format(" " * 5000 + "7"), "7")["reason"] == "answer_too_long"
    assert compute_score("x", TEMPLATE.format("5" + " " * 1999 + "1, 2, 3, 4, 6"), "5")["reason"] == "answer_too_long"
    assert compute_score("x", TEMPLATE.format("7" * 1000), "7" * 1000)["score"] == 1.0


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
        "detail": "",
    }
    assert elapsed < 1.0 + SLACK
    assert pool.restarts == restarts + 1
    # The pool keeps working after a kill.
    assert compute_score("x", TEMPLATE.format("\\frac{2}{4}"), "0.5")["score"] == 1.0


def test_a_group_of_identical_slow_answers_costs_one_timeout() -> None:
    # One GRPO group: 16 rollouts ending in the same slow answer, scored concurrently as verl does.
    pool = get_pool()
    restarts = pool.restarts
    answer = "9^{9^{9^{9^{8}}}}"
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as executor:
        results = list(executor.map(lambda _: compute_score("x", TEMPLATE.format(answer), "6", timeout=1.0), range(16)))
    elapsed = time.monotonic() - start
    assert [result["reason"] for result in results] == ["timeout"] * 16
    assert pool.restarts == restarts + 1, "one verifier call for the whole group"
    assert elapsed < 1.0 + SLACK
    # Cached: the same answer again costs no verifier time at all.
    start = time.monotonic()
    assert compute_score("x", TEMPLATE.format(answer), "6", timeout=1.0)["reason"] == "timeout"
    assert time.monotonic() - start < 0.5 and pool.restarts == restarts + 1


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
        "<think>" + "<\u200b" * 70_000 + "</think><answer>7</answer>",
        "<think>" + "\u200b" * 200_000 + "</think><answer>7</answer>",
        "<think>ok</think><answer>" + "5，" * 100_000 + "</answer>",
    ],
    ids=[
        "long-thinking",
        "whitespace-run",
        "tag-prefixes",
        "open-boxes",
        "open-braces",
        "answer-tags",
        "disguised-tag-prefixes",
        "invisible-run",
        "full-width-hedge",
    ],
)
def test_long_adversarial_responses_are_linear(response: str) -> None:
    # The pytest timeout is a hang guard: a quadratic scan of 200K characters would not finish.
    for style in ("think_answer", "boxed"):
        parse_response(response, style=style)
    result = compute_score("x", response, "7")
    assert result["score"] in (0.0, 1.0)


def test_a_saturated_pool_bounds_the_queue_wait() -> None:
    from vision_r1_plugins.answers.pool import VerifierPool

    pool = VerifierPool(size=1)
    try:
        assert pool.judge("\\frac{2}{4}", "0.5", None, timeout=30).reason == "ok"  # started and warm
        with ThreadPoolExecutor(max_workers=2) as executor:
            slow = executor.submit(pool.judge, "9^{9^{9^{9^{7}}}}", "5", None, 3.0)
            time.sleep(0.3)
            start = time.monotonic()
            waiting = pool.judge("x^2+2x+1", "(x+1)^2", None, timeout=3.0, max_queue_wait=0.5)
            waited = time.monotonic() - start
            assert slow.result().reason == "timeout"
        assert waiting.reason == "verifier_busy"
        assert 0.4 < waited < 2.0
    finally:
        pool.close()
