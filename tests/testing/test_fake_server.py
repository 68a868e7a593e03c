"""The fake OpenAI-compatible server, driven over real HTTP on 127.0.0.1 with httpx."""

from __future__ import annotations

import asyncio
import json
import os
import select
import string
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from vision_r1_plugins.testing.fake_server import STAGES, TAG_HEADER, FakeServer, FakeServerConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
PROMPTS_DIR = REPO_ROOT / "vision_r1_plugins" / "bridge" / "prompts"
PNG_PART = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAE="}}


@contextmanager
def serve(**config: Any) -> Iterator[tuple[FakeServer, httpx.Client]]:
    with FakeServer(FakeServerConfig(**config)) as server, httpx.Client(base_url=server.url, timeout=5.0) as client:
        yield server, client


def prompt(question: str, hint: str | None = None) -> str:
    """A prompt in wording of our own: the server must not depend on any marker in it."""
    lines = ["Some instructions for the model.", "", "Here is the question:", question, ""]
    if hint is not None:
        lines += [f"The expected answer is {hint}.", ""]
    return "\n".join(lines)


def body(text: str, images: int = 0, model: str = "fake-mllm", **extra: Any) -> dict[str, Any]:
    content: str | list[dict[str, Any]] = text
    if images:
        content = [PNG_PART] * images + [{"type": "text", "text": text}]
    return {
        "model": model,
        "messages": [{"role": "user", "content": content}],
        "max_tokens": 1024,
        "temperature": 0.6,
        "top_p": 0.95,
        **extra,
    }


def headers(stage: str | None) -> dict[str, str]:
    """What the bridge's client sends with a stage request; nothing for a plain question."""
    return {TAG_HEADER: stage} if stage else {}


def ask(client: httpx.Client, stage: str | None, text: str, images: int = 0, **extra: Any) -> httpx.Response:
    return client.post("/chat/completions", json=body(text, images, **extra), headers=headers(stage))


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


def test_stage_header_matches_the_bridge_client() -> None:
    # The fake repeats the header name rather than importing it; this is what keeps the two in step.
    from vision_r1_plugins.generation.openai_server import TAG_HEADER as CLIENT_TAG_HEADER
    from vision_r1_plugins.generation.openai_server import OpenAIBackend

    assert TAG_HEADER == CLIENT_TAG_HEADER

    async def complete(url: str) -> Any:
        backend = OpenAIBackend(base_url=url, model="fake-reasoner")
        try:
            return await backend.complete([{"role": "user", "content": "What is 2 + 5?"}], tag="reasoning")
        finally:
            await backend.aclose()

    with FakeServer() as server:
        result = asyncio.run(complete(server.url))
        stats = server.stats()
    assert result.content == "The answer is \\boxed{7}." and "2 + 5 = 7" in (result.reasoning or "")
    assert stats["stages"]["reasoning"] == 1 and stats["stages"]["other"] == 0


def test_caption_cot_counts_images_and_echoes_the_expression() -> None:
    question = "What is 3 + 6?"
    with serve() as (_, client):
        two = message_of(ask(client, "caption_cot", prompt(question, "9"), images=2))
        other_hint = message_of(ask(client, "caption_cot", prompt(question, "1000"), images=2))
        none = message_of(ask(client, "caption_cot", prompt(question, "9")))
        no_arithmetic = message_of(ask(client, "caption_cot", prompt("How many apples are on the table?", "5")))
    assert two["content"].startswith("Caption: the image shows a figure for the question.")
    assert "The figure shows the expression 3 + 6." in two["content"]
    assert "The request carried 2 image(s)." in two["content"]
    assert "\nReasoning: " in two["content"]
    assert "reasoning_content" not in two
    # The hint is not parsed out of the prompt: a different hint changes nothing.
    assert other_hint["content"] == two["content"]
    assert "The request carried 0 image(s)." in none["content"]
    assert no_arithmetic["content"].startswith("Caption: ") and "expression" not in no_arithmetic["content"]


def test_description_echoes_the_expression_and_ends_with_the_marker() -> None:
    with serve() as (_, client):
        message = message_of(ask(client, "description", prompt("What is 7 x 8?"), images=1))
        plain = message_of(ask(client, "description", prompt("What is the length of side AB?"), images=1))
    assert "The figure shows the expression 7 x 8." in message["content"]
    assert message["content"].endswith("This description contains all the details needed.")
    assert "expression" not in plain["content"]
    assert plain["content"].endswith("This description contains all the details needed.")


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("What is 3 + 4?", "7"),
        ("Compute 10 - 13 apples.", "-3"),
        ("The box holds 6 * 7 items.", "42"),
        ("A grid of 6 x 8 tiles: how many tiles?", "48"),
        ("What is 5 × -2?", "-10"),
    ],
)
def test_reasoning_solves_the_first_arithmetic_expression(question: str, answer: str) -> None:
    with serve() as (_, client):
        message = message_of(ask(client, "reasoning", prompt(question)))
    assert message["content"] == f"The answer is \\boxed{{{answer}}}."
    reasoning = message["reasoning_content"]
    for phrase in ("Wait,", "let me double-check", "From the description, "):
        assert phrase in reasoning
    assert "<think>" not in message["content"]


def test_free_wording_stages_chain_to_the_right_answer() -> None:
    # No marker of any kind, the question in the middle of a sentence: only the header says which stage it is.
    question = "the shopkeeper wants to know what 12 + 30 comes to"
    with serve() as (server, client):
        caption = message_of(ask(client, "caption_cot", f"Look at the picture; {question}. Describe it.", images=1))
        described = message_of(ask(client, "description", f"Notes so far: {caption['content']}\nNow describe it."))
        solved = message_of(ask(client, "reasoning", f"Someone saw this: {described['content']} So, {question}?"))
        stats = server.stats()
    assert "The figure shows the expression 12 + 30." in caption["content"]
    assert "The figure shows the expression 12 + 30." in described["content"]
    assert solved["content"] == "The answer is \\boxed{42}."
    assert "12 + 30 = 42" in solved["reasoning_content"]
    assert stats["stages"] == {"caption_cot": 1, "description": 1, "reasoning": 1, "other": 0}


def test_production_prompts_chain_to_the_right_answer() -> None:
    templates = {stage: (PROMPTS_DIR / f"{stage}.txt").read_text(encoding="utf-8") for stage in STAGES}
    assert not any("STAGE:" in text for text in templates.values())  # the prompts carry nothing for the fake
    render = {stage: string.Template(text).substitute for stage, text in templates.items()}
    question = "<image>How many tiles are in a grid of 4 x 9 tiles?"
    with serve() as (_, client):
        caption = message_of(ask(client, "caption_cot", render["caption_cot"](question=question, answer="36"), 1))
        described = message_of(
            ask(client, "description", render["description"](question=question, pseudo_cot=caption["content"]), 1)
        )
        solved = message_of(
            ask(client, "reasoning", render["reasoning"](question=question, description=described["content"]))
        )
    assert "The figure shows the expression 4 x 9." in described["content"]
    assert solved["content"] == "The answer is \\boxed{36}."


@pytest.mark.parametrize(
    ("stage", "text", "expected"),
    [
        # A STAGE: line without the header is just text: a plain question with arithmetic gets think/answer tags.
        (
            None,
            "STAGE: reasoning\n\nQUESTION:\nWhat is 12 + 30?\n\nANSWER HINT: 42",
            "<answer> Final Answer: 42 </answer>",
        ),
        (None, "STAGE: description\nQUESTION:\nWhich shape is red?", "This is a fake answer to: STAGE: description"),
        # An unknown stage name is a plain question too.
        ("summary", "What is 12 + 30?", "<answer> Final Answer: 42 </answer>"),
    ],
)
def test_requests_without_a_known_stage_header_are_plain_questions(stage: str | None, text: str, expected: str) -> None:
    with serve() as (server, client):
        message = message_of(ask(client, stage, text))
        stats = server.stats()
    assert expected in message["content"]
    assert "reasoning_content" not in message
    assert "Caption:" not in message["content"] and "\\boxed" not in message["content"]
    assert stats["stages"] == {"caption_cot": 0, "description": 0, "reasoning": 0, "other": 1}


def test_plain_question_answers_with_think_and_answer_tags() -> None:
    with serve() as (_, client):
        message = message_of(ask(client, None, "<image>What is 9 * 9?"))
    content = message["content"]
    assert content.startswith("<think>\n") and "9 * 9 = 81" in content
    assert content.endswith("</think>\n<answer> Final Answer: 81 </answer>")


def test_stage_header_name_is_case_insensitive() -> None:
    with serve() as (server, client):
        response = client.post(
            "/chat/completions", json=body("What is 1 + 2?"), headers={TAG_HEADER.lower(): "reasoning"}
        )
        stats = server.stats()
    assert message_of(response)["content"] == "The answer is \\boxed{3}."
    assert stats["stages"]["reasoning"] == 1


def test_reasoning_inline_think() -> None:
    with serve(reasoning_field=False) as (_, client):
        message = message_of(ask(client, "reasoning", prompt("What is 5 + 7?")))
    assert "reasoning_content" not in message
    content = message["content"]
    assert content.startswith("<think>\n") and "From the description, " in content
    assert content.endswith("</think>\n\nThe answer is \\boxed{12}.")


@pytest.mark.parametrize("question", ["What color is the car?", "What is 2.5 + 1?"])
def test_reasoning_refuses_without_integer_arithmetic(question: str) -> None:
    with serve() as (_, client):
        message = message_of(ask(client, "reasoning", prompt(question)))
    assert message["content"] == "I cannot determine the answer from the description."
    assert "Wait," in message["reasoning_content"]


def test_wrong_answer_every_nth_distinct_expression() -> None:
    questions = [f"What is {n} + 1?" for n in range(1, 5)]
    with serve(wrong_answer_every=2) as (server, client):
        answers = [
            message_of(ask(client, "reasoning", prompt(q)))["content"]
            for q in [*questions, "Once more, in other words: how much is 2 + 1?"]
        ]
        stats = server.stats()
    # Questions 2 and 4 are wrong by one; asking question 2 again, however worded, keeps the answer it got first.
    assert answers == [f"The answer is \\boxed{{{value}}}." for value in (2, 4, 4, 6, 4)]
    assert stats["wrong_answers"] == 3
    assert stats["stages"]["reasoning"] == 5


def test_max_tokens_truncates_with_finish_reason_length() -> None:
    with serve() as (_, client):
        response = ask(client, "reasoning", prompt("What is 3 + 4?"), max_tokens=5)
    data = response.json()
    assert data["choices"][0]["finish_reason"] == "length"
    assert data["usage"]["completion_tokens"] <= 5


def test_stream_sends_reasoning_then_content_deltas() -> None:
    with serve() as (_, client):
        whole = message_of(ask(client, "reasoning", prompt("What is 3 + 4?")))
        response = ask(client, "reasoning", prompt("What is 3 + 4?"), stream=True)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = [line.removeprefix("data: ") for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    deltas = [json.loads(event)["choices"][0]["delta"] for event in events[:-1]]
    fields = [name for delta in deltas for name in delta]
    assert fields == sorted(fields, key=("reasoning_content", "content").index)  # all reasoning before content
    assert "".join(d.get("reasoning_content", "") for d in deltas) == whole["reasoning_content"]
    assert "".join(d.get("content", "") for d in deltas) == whole["content"] == "The answer is \\boxed{7}."


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
                    client.post(
                        "/chat/completions", json=body(prompt(f"What is {n} + 2?")), headers=headers("reasoning")
                    )
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
    payload = body(prompt("What is 1 + 1?"))
    with serve(fault_rate=1.0, faults=(kind,), retry_after=0.05) as (server, client):
        first = client.post("/chat/completions", json=payload, headers=headers("reasoning"))
        second = client.post("/chat/completions", json=payload, headers=headers("reasoning"))
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
        "distinct_bodies": 1,
        "retried_bodies": 1,
        "max_attempts": 2,
        "total": 2,
        "histogram": {"2": 1},
    }


def test_drop_closes_the_connection_without_a_response() -> None:
    payload = body(prompt("Which shape is red?"))
    with serve(fault_rate=1.0, faults=("drop",)) as (server, client):
        # A warm keep-alive connection first, so the drop hits a reused connection as it would in a pool.
        assert client.post("/chat/completions", json=body("warm up [[bad-request]]")).status_code == 400
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/chat/completions", json=payload, headers=headers("description"))
        message = message_of(client.post("/chat/completions", json=payload, headers=headers("description")))
        stats = server.stats()
    assert message["content"].endswith("This description contains all the details needed.")
    assert stats["faults"]["drop"] == 1 and stats["successes"] == 1


def test_slow_fault_outlasts_the_client_timeout_then_retry_succeeds() -> None:
    payload = body(prompt("What is 2 * 3?"))
    with serve(fault_rate=1.0, faults=("slow",), slow_seconds=5.0) as (server, client):
        start = time.perf_counter()
        with pytest.raises(httpx.ReadTimeout):
            client.post("/chat/completions", json=payload, headers=headers("reasoning"), timeout=0.3)
        reply = client.post("/chat/completions", json=payload, headers=headers("reasoning"))
        assert message_of(reply)["content"] == "The answer is \\boxed{6}."
        # The abandoned request is cancelled server-side (like vLLM aborting it) rather than sleeping on.
        deadline = time.monotonic() + 2.0
        while server.stats()["cancelled"] < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        stats = server.stats()
    assert time.perf_counter() - start < 3.0
    assert stats["faults"]["slow"] == 1 and stats["cancelled"] == 1 and stats["in_flight"] == 0


def test_fault_choice_is_deterministic_per_seed_and_body() -> None:
    payloads = [body(prompt(f"What is {n} + 5?")) for n in range(40)]

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
        ask(client, "caption_cot", prompt("Q?", "A"))
        ask(client, None, "STAGE: caption_cot\nno stage header")
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
    command = [sys.executable, "-m", "vision_r1_plugins.testing.fake_server", "--port", "0", "--latency", "0.01"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as process:
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], 20.0)
            assert ready, "the server printed no URL"
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
            payload = body(prompt("What is 4 * 4?"))
            response = httpx.post(url + "/chat/completions", json=payload, headers=headers("reasoning"), timeout=5)
            assert message_of(response)["content"] == "The answer is \\boxed{16}."
        finally:
            process.terminate()
            # communicate() drains and closes the pipes, so nothing is left open if the server misbehaved.
            _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
