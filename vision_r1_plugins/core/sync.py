"""Run a coroutine to completion from synchronous code, whether or not an event loop is running in this thread.

The synchronous entry points (``bridge``, ``evaluate``, ``infer``, the LLM extractor) are called from scripts,
where no loop runs, and from Jupyter or an async application, where one already does and ``asyncio.run`` raises.
With no running loop :func:`run_sync` is ``asyncio.run``. With one, the coroutine runs on a fresh loop in a worker
thread while the caller's thread waits: the caller's loop is blocked for that time, as any synchronous call blocks
it; async callers who want it free await the ``*_async`` twin instead.

With a running loop, callbacks passed to the coroutine (progress, streamed text) are called from the worker
thread. An exception raised inside is re-raised as it is (same type and object). A ``KeyboardInterrupt`` while
waiting (Ctrl-C, Jupyter's interrupt) cancels the coroutine, waits for its cleanup (``finally`` blocks close
clients and files) and is then re-raised. (Under ``asyncio.run`` the first Ctrl-C only cancels the main task,
which cannot stop before the synchronous call returns; a second one interrupts the wait.)
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_running() -> bool:
    """Whether an event loop is running in this thread (as in a Jupyter cell or an ``async def``)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """The coroutine's result, run to completion from synchronous code.

    >>> async def answer() -> int:
    ...     return 42
    >>> run_sync(answer())
    42
    """
    if not loop_running():
        return asyncio.run(coroutine)
    return _Worker(coroutine).result()


class _Worker:
    """One coroutine on its own loop in a daemon thread, with the caller's context variables."""

    def __init__(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        self._coroutine = coroutine
        self._task: asyncio.Task[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = threading.Event()
        self._done = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._work,), name="vision-r1-run-sync", daemon=True)

    def _work(self) -> None:
        async def main() -> Any:
            self._task = asyncio.current_task()
            self._loop = asyncio.get_running_loop()
            self._started.set()
            return await self._coroutine

        try:
            self._value = asyncio.run(main())
        except BaseException as error:  # handed to the caller's thread, which re-raises it
            self._error = error
        finally:
            self._started.set()
            self._done.set()

    def result(self) -> Any:
        try:  # start() inside: an interrupt landing between the start and the wait still cancels the run
            self._thread.start()
            self._wait()
        except KeyboardInterrupt:
            self._cancel()
            raise
        if self._error is not None:
            raise self._error
        return self._value

    def _wait(self) -> None:
        # An event, not Thread.join: on 3.11 an interrupted join marks a live thread as stopped, so a second join
        # returns at once. Short waits: an interrupt that does not break a blocked wait (a signal delivered to
        # another thread, or _thread.interrupt_main) is still seen within a tenth of a second.
        while not self._done.wait(0.1):
            pass

    def _cancel(self) -> None:
        # Interrupted inside Thread.start, the thread may never run: wait a bounded time for it to say it has.
        if not self._started.wait(5.0):
            return
        loop, task = self._loop, self._task
        if loop is not None and task is not None and not loop.is_closed():
            # RuntimeError: the loop closed between the check and the call, so nothing is left to cancel.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)
        # The cleanup (clients closed, stores flushed) finishes before the interrupt reaches the caller; a second
        # Ctrl-C during it is not caught here and interrupts the wait.
        self._wait()
