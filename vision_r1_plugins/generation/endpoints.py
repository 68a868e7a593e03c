"""The servers behind one role (the MLLM, the reasoner, the model under evaluation): one URL or several replicas.

Requests go to the least-loaded live server. A server whose connections keep failing is taken out of rotation for
a while and then tried again; when requests keep failing after their retries on every server, the pool stops the
run instead of spending the rest of the input on a server that has gone away (``--resume`` continues it).

One :class:`PriorityLimiter` bounds the requests in flight over the whole pool (the per-server concurrency times
the live servers), so that request priorities hold across replicas; each request then takes the server with the
fewest requests in flight.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlparse

from vision_r1_plugins.core.errors import RunError, UsageError
from vision_r1_plugins.generation.limiter import PriorityLimiter


class ServersGone(RunError):
    """Every server of a pool kept failing: the run stops here, and ``--resume`` continues it."""


def check_url(url: str) -> str:
    """A base URL as the OpenAI clients want it, or a UsageError naming the fix."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        suggestion = url if "://" in url else f"http://{url}"
        raise UsageError(
            f"--base-url {url!r} is not an http(s) URL: write it like {suggestion.rstrip('/')}"
            f"{'' if suggestion.rstrip('/').endswith('/v1') else '/v1'}"
        )
    return url.rstrip("/")


def split_urls(values: str | Sequence[str] | None) -> tuple[str, ...]:
    """URLs given once each, repeated, or comma-separated (``--base-url http://a/v1,http://b/v1``)."""
    if values is None:
        return ()
    items = [values] if isinstance(values, str) else list(values)
    urls = [part.strip() for item in items for part in item.split(",") if part.strip()]
    return tuple(dict.fromkeys(check_url(url) for url in urls))


@dataclass
class Endpoint:
    url: str
    in_flight: int = 0
    failures_in_a_row: int = 0  # connections and 5xx since the last answer
    out_until: float = 0.0  # monotonic time until which the server is out of rotation
    answered: int = 0


@dataclass
class EndpointPool:
    """``dead_after`` transport failures in a row take a server out of rotation for ``cooldown`` seconds;
    ``give_up_after`` requests failed in a row (each after all its attempts) stop the run."""

    urls: tuple[str, ...]
    concurrency: int = 64
    dead_after: int = 3
    cooldown: float = 10.0
    give_up_after: int = 10
    endpoints: list[Endpoint] = field(init=False)
    limiter: PriorityLimiter = field(init=False)

    def __post_init__(self) -> None:
        if not self.urls:
            raise UsageError("no server URL given (--base-url http://host:8000/v1)")
        self.endpoints = [Endpoint(url) for url in self.urls]
        self.limiter = PriorityLimiter(self.concurrency * len(self.endpoints))
        self.requests_failed_in_a_row = 0
        self.stopped: str | None = None

    def live(self, now: float | None = None) -> list[Endpoint]:
        now = time.monotonic() if now is None else now
        return [endpoint for endpoint in self.endpoints if endpoint.out_until <= now]

    def pick(self) -> Endpoint:
        """The live server with the fewest requests in flight (the first on ties); when none is live, the one
        that comes back soonest."""
        live = self.live()
        if not live:
            return min(self.endpoints, key=lambda endpoint: endpoint.out_until)
        return min(live, key=lambda endpoint: endpoint.in_flight)

    @contextlib.asynccontextmanager
    async def use(self, priority: int = 0) -> AsyncIterator[Endpoint]:
        """A slot in the pool and the server to send the request to."""
        self.raise_if_stopped()
        async with self.limiter.slot(priority):
            self.raise_if_stopped()
            endpoint = self.pick()
            endpoint.in_flight += 1
            try:
                yield endpoint
            finally:
                endpoint.in_flight -= 1

    def raise_if_stopped(self) -> None:
        if self.stopped is not None:
            raise ServersGone(self.stopped)

    # What happened to a request -------------------------------------------------------------------------
    def answered(self, endpoint: Endpoint) -> None:
        endpoint.failures_in_a_row, endpoint.out_until = 0, 0.0
        endpoint.answered += 1
        self.requests_failed_in_a_row = 0
        self._resize()

    def transport_failed(self, endpoint: Endpoint) -> None:
        endpoint.failures_in_a_row += 1
        if endpoint.failures_in_a_row >= self.dead_after:
            endpoint.out_until = time.monotonic() + self.cooldown
            endpoint.failures_in_a_row = 0
            self._resize()

    def request_failed(self, problem: str) -> None:
        """A request that failed after all its attempts for a reason a retry could have fixed."""
        self.requests_failed_in_a_row += 1
        if self.requests_failed_in_a_row >= self.give_up_after and self.stopped is None:
            where = ", ".join(self.urls)
            self.stopped = f"{self.requests_failed_in_a_row} requests in a row failed at {where} (last: {problem})"

    def _resize(self) -> None:
        # Servers out of rotation lend their share of the bound to no one: the live ones keep their concurrency.
        self.limiter.set_limit(self.concurrency * max(len(self.live()), 1))
