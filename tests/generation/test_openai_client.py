"""The OpenAI client against servers that misbehave the way real ones do (vLLM's error shapes and finish reasons,
uvicorn's resets, servers going away), over real HTTP: each case is a small aiohttp app scripted for it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from aiohttp import web

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.generation import (
    BackendConfig,
    EndpointPool,
    RequestFailed,
    RetryPolicy,
    Sampling,
    ServersGone,
    make_backend,
    split_urls,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)


@contextlib.contextmanager
def serve(routes: dict[str, Handler]) -> Iterator[str]:
    """An aiohttp app on 127.0.0.1 in a background thread; yields its base URL (``.../v1``)."""
    loop = asyncio.new_event_loop()
    app = web.Application()
    for route, handler in routes.items():
        method, path = route.split(" ", 1)
        app.router.add_route(method, path, handler)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def completion(content: str, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "x",
        "object": "chat.completion",
        "model": "m",
        "usage": {"completion_tokens": 3},
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}],
    }


async def models(request: web.Request) -> web.Response:
    return web.json_response({"object": "list", "data": [{"id": "m", "object": "model"}]})


def backend(url: str | tuple[str, ...], model: str = "m", **options: Any):
    config = BackendConfig(
        "openai", model, url, sampling=Sampling(max_tokens=8), retry=options.pop("retry", FAST), **options
    )
    return make_backend(config)


async def _complete(generator: Any, text: str = "What is 1 + 1?") -> Any:
    try:
        return await generator.complete([{"role": "user", "content": text}])
    finally:
        await generator.aclose()


async def _stream(generator: Any) -> list[Any]:
    try:
        return [delta async for delta in generator.stream([{"role": "user", "content": "Hi"}])]
    finally:
        await generator.aclose()


async def _probe(generator: Any) -> None:
    try:
        await generator.probe()
    finally:
        await generator.aclose()


# Pre-flight ---------------------------------------------------------------------------------------------------
def test_urls_need_a_scheme_and_may_come_several_at_once() -> None:
    with pytest.raises(UsageError, match=r"write it like http://127\.0\.0\.1:8000/v1"):
        split_urls("127.0.0.1:8000")
    assert split_urls(["http://a:1/v1/", "http://b:1/v1,http://a:1/v1"]) == ("http://a:1/v1", "http://b:1/v1")


def test_probe_names_the_fix_for_each_wrong_server() -> None:
    with pytest.raises(UsageError, match=r"cannot reach http://127\.0\.0\.1:9/v1"):
        asyncio.run(_probe(backend("http://127.0.0.1:9/v1")))
    with serve({"GET /v1/models": models}) as url:
        with pytest.raises(
            UsageError, match=r"does not serve model .other. \(it serves m\): name one of them as the model"
        ):
            asyncio.run(_probe(backend(url, "other")))
        with pytest.raises(UsageError, match=r"usually ends in /v1 \(try .*/v1\)"):
            asyncio.run(_probe(backend(url.removesuffix("/v1"))))
        asyncio.run(_probe(backend(url)))  # the right name passes

    async def refuse(request: web.Request) -> web.Response:
        return web.json_response({"error": {"message": "bad key"}}, status=401)

    with serve({"GET /v1/models": refuse}) as url, pytest.raises(UsageError, match="refused the API key"):
        asyncio.run(_probe(backend(url)))


def test_probe_falls_back_to_one_token_where_models_cannot_be_listed() -> None:
    """transformers serve answers 500 to GET /v1/models: a one-token request decides instead."""
    asked: list[dict[str, Any]] = []

    async def broken_list(request: web.Request) -> web.Response:
        return web.Response(status=500, text="Internal Server Error")

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        asked.append(body)
        if body["model"] != "m":
            return web.json_response({"error": {"message": f"model {body['model']} not found"}}, status=500)
        return web.json_response(completion("H", "length"))

    with serve({"GET /v1/models": broken_list, "POST /v1/chat/completions": chat}) as url:
        asyncio.run(_probe(backend(url)))
        with pytest.raises(UsageError, match="one-token request for 'nope' with HTTP 500: model nope not found"):
            asyncio.run(_probe(backend(url, "nope")))
    assert [body["max_tokens"] for body in asked] == [1, 1]


# Responses ----------------------------------------------------------------------------------------------------
def test_unfinished_responses_are_retried_never_returned() -> None:
    """vLLM's finish_reason abort/error/repetition is not an answer; length is one, marked truncated."""
    replies = iter([completion("partial", "abort"), completion("loop", "repetition"), completion("42", "length")])

    async def chat(request: web.Request) -> web.Response:
        return web.json_response(next(replies))

    with serve({"POST /v1/chat/completions": chat}) as url:
        result = asyncio.run(_complete(backend(url)))
    assert (result.content, result.truncated) == ("42", True)

    async def always_abort(request: web.Request) -> web.Response:
        return web.json_response(completion("partial", "abort"))

    with serve({"POST /v1/chat/completions": always_abort}) as url, pytest.raises(RequestFailed, match="'abort'"):
        asyncio.run(_complete(backend(url)))


def test_http_errors_show_the_servers_message_and_4xx_is_not_retried() -> None:
    calls = []

    async def too_long(request: web.Request) -> web.Response:
        calls.append(1)
        message = "'max_tokens' or 'max_completion_tokens' is too large: 8. This model's maximum context length is 4"
        return web.json_response({"error": {"message": message, "type": "BadRequestError", "code": 400}}, status=400)

    too_large = r"HTTP 400 from .*: 'max_tokens' or 'max_completion_tokens' is too"
    with serve({"POST /v1/chat/completions": too_long}) as url, pytest.raises(RequestFailed, match=too_large):
        asyncio.run(_complete(backend(url)))
    assert len(calls) == 1


def test_a_timeout_says_how_long_and_where() -> None:
    async def stall(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response(completion("late"))

    with serve({"POST /v1/chat/completions": stall}) as url:
        message = rf"gave up after 1 attempts: no answer from {url} within 0\.3 s \(--timeout\)"
        with pytest.raises(RequestFailed, match=message):
            asyncio.run(_complete(backend(url, timeout=0.3, retry=RetryPolicy(max_attempts=1))))


def test_a_reset_connection_is_resent_without_spending_an_attempt() -> None:
    """uvicorn closes the connection after a 5xx without saying so; the next request written to it is reset."""
    calls = []

    async def reset_once(request: web.Request) -> web.Response:
        calls.append(1)
        if len(calls) == 1:
            assert request.transport is not None
            request.transport.close()  # the connection goes away before any answer
            await asyncio.sleep(0.1)
        return web.json_response(completion("2"))

    with serve({"POST /v1/chat/completions": reset_once}) as url:
        result = asyncio.run(_complete(backend(url, retry=RetryPolicy(max_attempts=1))))
    assert result.content == "2" and len(calls) == 2


def test_errors_inside_a_stream_are_errors() -> None:
    """vLLM sends an error as a stream event followed by [DONE]; the usage chunk has no choices."""

    async def stream_error(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        chunk = {"choices": [{"index": 0, "delta": {"content": "Hal"}, "finish_reason": None}]}
        error = {"error": {"message": "engine died", "type": "InternalServerError", "code": 500}}
        for event in (chunk, error):
            await response.write(f"data: {json.dumps(event)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        return response

    died = "sent an error in the stream: engine died"
    with serve({"POST /v1/chat/completions": stream_error}) as url, pytest.raises(RequestFailed, match=died):
        asyncio.run(_stream(backend(url)))

    async def truncated(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        events = [
            {"choices": [{"index": 0, "delta": {"reasoning": "think", "reasoning_content": "think"}}]},
            {"choices": [{"index": 0, "delta": {"content": "4"}, "finish_reason": "length"}]},
            {"choices": [], "usage": {"completion_tokens": 8}},
        ]
        for event in events:
            await response.write(f"data: {json.dumps(event)}\n\n".encode())
        return response  # no [DONE], as transformers serve ends its streams

    with serve({"POST /v1/chat/completions": truncated}) as url:
        deltas = asyncio.run(_stream(backend(url)))
    assert [(d.reasoning, d.content, d.finish_reason) for d in deltas] == [
        ("think", "", None),
        ("", "4", None),
        ("", "", "length"),
    ]


# Several servers ----------------------------------------------------------------------------------------------
def test_requests_go_to_the_least_loaded_server_and_a_dead_one_leaves_the_rotation() -> None:
    served: dict[str, int] = {"a": 0, "b": 0}

    def chat_on(name: str) -> Handler:
        async def chat(request: web.Request) -> web.Response:
            served[name] += 1
            await asyncio.sleep(0.05)
            return web.json_response(completion(name))

        return chat

    async def many(generator: Any, count: int) -> list[str]:
        try:
            results = await asyncio.gather(
                *(generator.complete([{"role": "user", "content": str(i)}]) for i in range(count))
            )
            return [result.content for result in results]
        finally:
            await generator.aclose()

    with (
        serve({"POST /v1/chat/completions": chat_on("a")}) as a,
        serve({"POST /v1/chat/completions": chat_on("b")}) as b,
    ):
        answers = asyncio.run(many(backend((a, b), concurrency=2), 16))
        assert sorted(answers) == ["a"] * 8 + ["b"] * 8 and served == {"a": 8, "b": 8}
        dead = "http://127.0.0.1:9/v1"
        generator = backend((a, dead), concurrency=2)
        answers = asyncio.run(many(generator, 16))
    assert answers == ["a"] * 16
    pool: EndpointPool = generator.pool
    assert pool.endpoints[1].answered == 0 and pool.endpoints[1].out_until > 0  # out of rotation
    assert pool.requests_failed_in_a_row == 0 and pool.stopped is None


def test_a_server_that_keeps_failing_stops_the_run() -> None:
    async def down(request: web.Request) -> web.Response:
        return web.Response(status=503, text="Service Unavailable")

    async def run(generator: Any) -> list[Any]:
        try:
            return await asyncio.gather(
                *(generator.complete([{"role": "user", "content": str(i)}]) for i in range(40)), return_exceptions=True
            )
        finally:
            await generator.aclose()

    with serve({"POST /v1/chat/completions": down}) as url:
        outcomes = asyncio.run(run(backend(url, concurrency=4, give_up_after=5, retry=RetryPolicy(2, 0.01, 0.01))))
    failed = [o for o in outcomes if isinstance(o, RequestFailed)]
    stopped = [o for o in outcomes if isinstance(o, ServersGone)]
    assert 5 <= len(failed) < 12 and len(failed) + len(stopped) == 40
    assert "5 requests in a row failed" in str(stopped[0]) and "HTTP 503" in str(stopped[0])
