"""The fake OpenAI-compatible server, driven over real HTTP on 127.0.0.1 with httpx."""

from __future__ import annotations

import asyncio
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from vision_r1_plugins.bridge.fake_server import FakeServer, FakeServerConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
PNG_PART = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAE="}}


@contextmanager
def serve(**config: Any) -> Iterator[tuple[FakeServer, httpx.Client]]:
    with FakeServer(FakeServerConfig(**config)) as server, httpx.Client(base_url=server.url, timeout=5.0) as client:
        yield server, client


def prompt(stage: str | None, question: str, hint: str | None = None) -> str:
    lines = [f"STAGE: {stage}"] if stage else []
    lines += ["Some instructions for the model.", "", "QUESTION:", question, ""]
    if hint is not None:
        lines += [f"ANSWER HINT: {hint}", ""]
    return "\n".join(lines)


def body(text: str, images: int = 0, model: str = "fake-mllm", **extra: Any) -> dict[str, Any]:
    content: str | list[dict[str, Any]] = text
    if images:
        content = [PNG_PART] * images + [{"type": "text", "text": text}]
    return {"model": model, "messages": [{"role": "user", "content": content}], "max_tokens": 1024,
            "temperature": 0.6, "top_p": 0.95, **extra}  # fmt: skip


def message_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]["message"]


def test_completion_has_the_openai_shape() -> None:
    with serve() as (_, client):
        response = client.post("/chat/completions", json=body("hello there", model="any-name-at-all"))
    assert response.status_code == 200
    data = response.json()
    assert data["object"] == "chat.completion"
    assert data["id"].startswith("chatcmpl-")
    assert isinstance(data["created"], int)
    assert data["model"] == "any-name-at-all"
    (choice,) = data["choices"]
    assert choice["index"] == 0
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"].startswith("This is a fake answer to: hello there")
    usage = data["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_caption_cot_counts_images_and_uses_the_hint() -> None:
    question = "How many apples are on the table?"
    with serve() as (_, client):
        two = message_of(client.post("/chat/completions", json=body(prompt("caption_cot", question, "5"), images=2)))
        none = message_of(client.post("/chat/completions", json=body(prompt("caption_cot", question, "5"))))
    assert two["content"].startswith("Caption: the image shows a figure for the question.")
    assert "The request carried 2 image(s)." in two["content"]
    assert "\nReasoning: " in two["content"] and question in two["content"]
    assert "the answer is 5" in two["content"]
    assert "reasoning_content" not in two
    assert "The request carried 0 image(s)." in none["content"]


def test_description_mentions_the_question_and_ends_with_the_marker() -> None:
    question = "What is the length of side AB?"
    with serve() as (_, client):
        message = message_of(client.post("/chat/completions", json=body(prompt("description", question), images=1)))
    assert question in message["content"]
    assert message["content"].endswith("This description contains all the details needed.")


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("What is 3 + 4?", "7"),
        ("Compute 10 - 13 apples.", "-3"),
        ("The box holds 6 * 7 items.", "42"),
        ("A grid of 6 x 8 tiles: how many tiles?", "48"),
    ],
)
def test_reasoning_solves_the_first_arithmetic_expression(question: str, answer: str) -> None:
    with serve() as (_, client):
        message = message_of(client.post("/chat/completions", json=body(prompt("reasoning", question))))
    assert message["content"] == f"The answer is \\boxed{{{answer}}}."
    reasoning = message["reasoning_content"]
    for phrase in ("Wait,", "let me double-check", "From the description, "):
        assert phrase in reasoning
    assert "<think>" not in message["content"]


def test_reasoning_inline_think() -> None:
    with serve(reasoning_field=False) as (_, client):
        message = message_of(client.post("/chat/completions", json=body(prompt("reasoning", "What is 5 + 7?"))))
    assert "reasoning_content" not in message
    content = message["content"]
    assert content.startswith("<think>\n") and "From the description, " in content
    assert content.endswith("</think>\n\nThe answer is \\boxed{12}.")


@pytest.mark.parametrize("question", ["What color is the car?", "What is 2.5 + 1?"])
def test_reasoning_refuses_without_integer_arithmetic(question: str) -> None:
    with serve() as (_, client):
        message = message_of(client.post("/chat/completions", json=body(prompt("reasoning", question))))
    assert message["content"] == "I cannot determine the answer from the description."


def test_wrong_answer_every_nth_distinct_question() -> None:
    questions = [f"What is {n} + 1?" for n in range(1, 5)]
    with serve(wrong_answer_every=2) as (server, client):
        answers = [
            message_of(client.post("/chat/completions", json=body(prompt("reasoning", q))))["content"]
            for q in [*questions, questions[1]]
        ]
        stats = server.stats()
    # Questions 2 and 4 are wrong by one; asking question 2 again keeps the answer it got first.
    assert answers == [f"The answer is \\boxed{{{value}}}." for value in (2, 4, 4, 6, 4)]
    assert stats["wrong_answers"] == 3
    assert stats["stages"]["reasoning"] == 5


def test_max_tokens_truncates_with_finish_reason_length() -> None:
    with serve() as (_, client):
        response = client.post("/chat/completions", json=body(prompt("reasoning", "What is 3 + 4?"), max_tokens=5))
    data = response.json()
    assert data["choices"][0]["finish_reason"] == "length"
    assert data["usage"]["completion_tokens"] <= 5


def test_models_endpoint_lists_configured_names() -> None:
    with serve(models=("a-model", "b-model")) as (_, client):
        data = client.get("/models").json()
    assert data["object"] == "list"
    assert [entry["id"] for entry in data["data"]] == ["a-model", "b-model"]


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
        ({"model": "fake-mllm"}, "messages"),
        ({"model": "fake-mllm", "messages": []}, "messages"),
    ],
)
def test_invalid_requests_get_400(payload: dict[str, Any], param: str) -> None:
    with serve() as (server, client):
        response = client.post("/chat/completions", json=payload)
        assert server.stats()["bad_requests"] == 1
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param and error["message"]


def test_non_json_body_gets_400() -> None:
    with serve() as (_, client):
        response = client.post("/chat/completions", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_bad_request_marker_always_fails_even_with_faults_on() -> None:
    with serve(fault_rate=1.0) as (server, client):
        responses = [client.post("/chat/completions", json=body("please fail [[bad-request]]")) for _ in range(3)]
        stats = server.stats()
    assert [r.status_code for r in responses] == [400, 400, 400]
    assert all(r.json()["error"]["type"] == "invalid_request_error" for r in responses)
    assert stats["faults_total"] == 0 and stats["attempts"]["max_attempts"] == 3


def test_latency_overlaps_across_concurrent_requests() -> None:
    async def burst(url: str) -> float:
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(base_url=url, timeout=10.0, limits=limits) as client:
            start = time.perf_counter()
            responses = await asyncio.gather(
                *(
                    client.post("/chat/completions", json=body(prompt("reasoning", f"What is {n} + 2?")))
                    for n in range(20)
                )
            )
            elapsed = time.perf_counter() - start
        assert all(r.status_code == 200 for r in responses)
        return elapsed

    with FakeServer(FakeServerConfig(latency=0.3)) as server:
        elapsed = asyncio.run(burst(server.url))
        stats = server.stats()
    assert elapsed < 2.0  # serial would be 6 s
    assert stats["max_in_flight"] >= 20
    assert stats["successes"] == 20 and stats["in_flight"] == 0


@pytest.mark.parametrize("kind", ["429", "500", "malformed"])
def test_fault_on_first_attempt_then_success(kind: str) -> None:
    payload = body(prompt("reasoning", "What is 1 + 1?"))
    with serve(fault_rate=1.0, faults=(kind,), retry_after=0.05) as (server, client):
        first = client.post("/chat/completions", json=payload)
        second = client.post("/chat/completions", json=payload)
        stats = server.stats()
    if kind == "malformed":
        assert first.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(first.content)
    else:
        assert first.status_code == int(kind)
        assert first.json()["error"]["message"]
    if kind == "429":
        assert first.headers["Retry-After"] == "0.05"
        assert first.headers["retry-after-ms"] == "50"
        assert first.json()["error"]["code"] == "rate_limit_exceeded"
    assert message_of(second)["content"] == "The answer is \\boxed{2}."
    assert stats["faults"][kind] == 1 and stats["faults_total"] == 1
    assert stats["successes"] == 1
    assert stats["attempts"] == {
        "distinct_bodies": 1, "retried_bodies": 1, "max_attempts": 2, "total": 2, "histogram": {"2": 1},
    }  # fmt: skip


def test_drop_closes_the_connection_without_a_response() -> None:
    payload = body(prompt("description", "Which shape is red?"))
    with serve(fault_rate=1.0, faults=("drop",)) as (server, client):
        # A warm keep-alive connection first, so the drop hits a reused connection as it would in a pool.
        assert client.post("/chat/completions", json=body("warm up [[bad-request]]")).status_code == 400
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/chat/completions", json=payload)
        message = message_of(client.post("/chat/completions", json=payload))
        stats = server.stats()
    assert message["content"].endswith("This description contains all the details needed.")
    assert stats["faults"]["drop"] == 1 and stats["successes"] == 1


def test_slow_fault_outlasts_the_client_timeout_then_retry_succeeds() -> None:
    payload = body(prompt("reasoning", "What is 2 * 3?"))
    with serve(fault_rate=1.0, faults=("slow",), slow_seconds=5.0) as (server, client):
        start = time.perf_counter()
        with pytest.raises(httpx.ReadTimeout):
            client.post("/chat/completions", json=payload, timeout=0.3)
        assert message_of(client.post("/chat/completions", json=payload))["content"] == "The answer is \\boxed{6}."
        # The abandoned request is cancelled server-side (like vLLM aborting it) rather than sleeping on.
        deadline = time.monotonic() + 2.0
        while server.stats()["cancelled"] < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        stats = server.stats()
    assert time.perf_counter() - start < 3.0
    assert stats["faults"]["slow"] == 1 and stats["cancelled"] == 1 and stats["in_flight"] == 0


def test_fault_choice_is_deterministic_per_seed_and_body() -> None:
    payloads = [body(prompt("reasoning", f"What is {n} + 5?")) for n in range(40)]

    def first_statuses(seed: int) -> list[int]:
        with serve(fault_rate=0.5, faults=("500",), seed=seed) as (server, client):
            statuses = [client.post("/chat/completions", json=p).status_code for p in payloads]
            # Every retry succeeds, whatever faulted the first time.
            assert all(client.post("/chat/completions", json=p).status_code == 200 for p in payloads)
            assert server.stats()["faults"]["500"] == statuses.count(500)
        return statuses

    first = first_statuses(seed=0)
    assert first == first_statuses(seed=0)
    assert first != first_statuses(seed=1)
    assert 8 <= first.count(500) <= 32


def test_stats_endpoint_and_reset() -> None:
    with serve() as (server, client):
        client.post("/chat/completions", json=body(prompt("caption_cot", "Q?", "A")))
        client.post("/chat/completions", json=body("no stage marker"))
        over_http = client.get(str(server.url).removesuffix("/v1") + "/stats").json()
        assert over_http == server.stats()
        assert over_http["requests"] == 2 and over_http["successes"] == 2
        assert over_http["stages"] == {"caption_cot": 1, "description": 0, "reasoning": 0, "other": 1}
        server.reset_stats()
        assert server.stats()["requests"] == 0 and server.stats()["attempts"]["distinct_bodies"] == 0
        client.post("/chat/completions", json=body("again"))
        reset = client.post(str(server.url).removesuffix("/v1") + "/stats/reset").json()
    assert reset["requests"] == 0


def test_config_rejects_unknown_fault_kinds() -> None:
    with pytest.raises(ValueError, match="unknown fault kinds"):
        FakeServerConfig(faults=("timeout",))
    with pytest.raises(ValueError, match="fault_rate"):
        FakeServerConfig(fault_rate=1.5)


def test_stop_releases_the_port() -> None:
    server = FakeServer().start()
    url = server.url
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/models", timeout=2.0)
    with pytest.raises(RuntimeError):
        _ = server.url


def test_module_entry_point_serves_until_terminated() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "vision_r1_plugins.bridge.fake_server", "--port", "0", "--latency", "0.01"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as process:
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], 20.0)
            assert ready, "the server printed no URL"
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
            payload = body(prompt("reasoning", "What is 4 * 4?"))
            response = httpx.post(url + "/chat/completions", json=payload, timeout=5)
            assert message_of(response)["content"] == "The answer is \\boxed{16}."
        finally:
            process.terminate()
            # communicate() drains and closes the pipes, so nothing is left open if the server misbehaved.
            _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
