"""A small pool of verifier processes that the parent can time out, kill and replace.

Why not ``ProcessPoolExecutor``: it cannot stop one hung task, so a single pathological answer would hold a
worker forever. Why not ``multiprocessing`` spawn: it re-imports the caller's ``__main__`` in every child,
which breaks unguarded training scripts. Each worker here is ``python -m vision_r1_plugins.answers._worker``
speaking one JSON line per request over its pipes; the parent waits on the pipe with ``poll`` (no fd limit)
and enforces the per-sample deadline itself, so it works from any thread.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from vision_r1_plugins.answers.judge import Verdict
from vision_r1_plugins.answers.reasons import Reason

logger = logging.getLogger(__name__)

TIMEOUT = Verdict(False, Reason.TIMEOUT)
VERIFIER_ERROR = Verdict(False, Reason.VERIFIER_ERROR)
BUSY = Verdict(False, Reason.VERIFIER_BUSY)
# Starting a worker imports sympy and the LaTeX grammar: seconds, not part of any sample's deadline.
STARTUP_TIMEOUT = float(os.environ.get("VISION_R1_VERIFIER_STARTUP_TIMEOUT", "120"))
WORKERS_ENV = "VISION_R1_REWARD_WORKERS"


class VerifierUnavailable(RuntimeError):
    """The verifier processes cannot start: a broken install, not a bad sample."""


def default_pool_size() -> int:
    configured = os.environ.get(WORKERS_ENV)
    if configured:
        return max(1, int(configured))
    return max(1, min(4, os.cpu_count() or 1))


class _Worker:
    def __init__(self) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vision_r1_plugins.answers._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            bufsize=0,
            # Its own session: a Ctrl-C meant for the trainer does not spray tracebacks from every worker;
            # the worker still exits when the parent dies, because its stdin closes.
            start_new_session=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._stdin = self.process.stdin
        self._fd = self.process.stdout.fileno()
        self._buffer = b""
        self.ready = False

    def _read_line(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        poller = select.poll()
        poller.register(self._fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                raise TimeoutError
            chunk = os.read(self._fd, 1 << 16)
            if not chunk:
                raise EOFError("verifier worker exited")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def wait_ready(self) -> None:
        if self.ready:
            return
        try:
            message = json.loads(self._read_line(STARTUP_TIMEOUT))
        except (TimeoutError, EOFError, ValueError) as error:
            raise VerifierUnavailable(
                f"the reward's verifier process did not start ({error!r}); run "
                f"`{sys.executable} -m vision_r1_plugins.answers._worker` to see why"
            ) from error
        if not message.get("ready"):
            raise VerifierUnavailable(f"unexpected verifier greeting: {message!r}")
        self.ready = True

    def ask(self, request: dict, timeout: float) -> dict:
        self._stdin.write(json.dumps(request).encode() + b"\n")
        self._stdin.flush()
        return json.loads(self._read_line(timeout))

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


class VerifierPool:
    """Thread-safe. ``judge`` waits for a free worker (at most ``max_queue_wait``); only the time a worker
    spends on the sample counts against its ``timeout``, so a busy pool delays samples, and fails them only
    when it stays saturated past the queue bound."""

    def __init__(self, size: int | None = None) -> None:
        self.size = size or default_pool_size()
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._live = 0
        self._all: set[_Worker] = set()
        self.restarts = 0

    def _spawn(self) -> _Worker:
        worker = _Worker()
        with self._lock:
            self._all.add(worker)
        return worker

    def _acquire(self, deadline: float) -> _Worker | None:
        while True:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                pass
            with self._lock:
                grow = self._live < self.size
                if grow:
                    self._live += 1
            if grow:
                try:
                    return self._spawn()
                except OSError as error:
                    with self._lock:
                        self._live -= 1
                    raise VerifierUnavailable(f"cannot start a verifier process: {error}") from error
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                return self._idle.get(timeout=min(0.25, remaining))
            except queue.Empty:
                continue

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)
            self._live -= 1
            self.restarts += 1

    def _replace(self, worker: _Worker) -> None:
        """Retire a killed worker and start its successor now: the successor imports sympy while the pool
        serves other samples, instead of during the next sample's wait."""
        self._retire(worker)
        with self._lock:
            self._live += 1
        try:
            self._idle.put(self._spawn())
        except OSError:
            with self._lock:
                self._live -= 1

    def judge(
        self, pred: str, gold: str, choices: Sequence[str] | None, timeout: float, max_queue_wait: float = 60.0
    ) -> Verdict:
        """The worker's verdict within ``timeout`` seconds of work, after at most ``max_queue_wait`` seconds
        waiting for a free worker (``verifier_busy`` past that: the pool is saturated by slow answers)."""
        worker = self._acquire(time.monotonic() + max_queue_wait)
        if worker is None:
            return BUSY
        try:
            worker.wait_ready()
        except VerifierUnavailable:
            self._retire(worker)
            raise
        try:
            reply = worker.ask({"pred": pred, "gold": gold, "choices": list(choices) if choices else None}, timeout)
        except TimeoutError:
            self._replace(worker)
            return TIMEOUT
        except (OSError, EOFError, ValueError):
            logger.warning("verifier worker died on answer %r (gold %r); replacing it", pred[:80], gold[:80])
            self._replace(worker)
            return VERIFIER_ERROR
        self._idle.put(worker)
        if "error" in reply:
            logger.warning("verifier error on answer %r (gold %r): %s", pred[:80], gold[:80], reply["error"])
            return VERIFIER_ERROR
        return Verdict(bool(reply["correct"]), str(reply["reason"]), str(reply.get("detail", "")))

    def close(self) -> None:
        with self._lock:
            workers = list(self._all)
            self._all.clear()
            self._live = 0
        for worker in workers:
            worker.kill()
        while not self._idle.empty():
            self._idle.get_nowait()


_pool: VerifierPool | None = None
_pool_pid: int | None = None
_pool_lock = threading.Lock()


def get_pool() -> VerifierPool:
    """The process-wide pool, created on first use. A forked child gets its own (pipes are not shareable)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = VerifierPool()
            _pool_pid = os.getpid()
        return _pool


def shutdown_pool() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None and _pool_pid == os.getpid():
            _pool.close()
        _pool = None


atexit.register(shutdown_pool)
