"""A concurrency bound with priorities, shared by every backend that talks to one endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from typing import Any


class PriorityLimiter:
    """At most ``limit`` holders; waiters with a lower ``priority`` go first, FIFO within a priority.

    The bridge gives later stages priority, so samples already under way finish before new ones start: the
    run's tail gets short and few half-done samples are held in memory.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held = 0
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @contextlib.asynccontextmanager
    async def slot(self, priority: int = 0) -> Any:
        if self._held < self.limit and not self._waiters:
            self._held += 1
        else:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiters, (priority, next(self._order), waiter))
            try:
                await waiter  # the releaser hands its slot over, so _held stays counted
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._release()
                raise
        try:
            yield
        finally:
            self._release()

    def set_limit(self, limit: int) -> None:
        """A new bound: waiters get the room a larger one makes; a smaller one is reached as holders leave."""
        self.limit = max(limit, 1)
        while self._held < self.limit and self._waiters:
            _, _, waiter = heapq.heappop(self._waiters)
            if not waiter.done():
                self._held += 1
                waiter.set_result(None)

    def _release(self) -> None:
        if self._held > self.limit:  # the bound shrank: this slot goes, not to a waiter
            self._held -= 1
            return
        while self._waiters:
            _, _, waiter = heapq.heappop(self._waiters)
            if not waiter.done():
                waiter.set_result(None)
                return
        self._held -= 1
