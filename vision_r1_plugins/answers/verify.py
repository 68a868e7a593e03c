"""Judge an answer against a gold with a deadline: the readings in-process, computer algebra in a worker.

Verdicts and timeouts are cached per (answer, gold, choices): GRPO samples 8-16 responses per prompt and most
end in the same few answers, and an answer that timed out once times out again, so it costs nothing the second
time. Concurrent calls for the same key share one verifier call. A verifier crash or a saturated pool is not
cached: neither says anything about the answer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from vision_r1_plugins.answers.judge import Verdict, decide
from vision_r1_plugins.answers.pool import VERIFIER_ERROR, get_pool
from vision_r1_plugins.answers.reasons import Reason


class _VerdictCache:
    """Bounded LRU of verdicts."""

    # 8,192 verdicts cover a GRPO step (a batch's answers repeat within each group of rollouts); more would only
    # hold memory in a long run where answers rarely repeat (a 200K-sample bridge run judges each sample once).
    def __init__(self, capacity: int = 1 << 13) -> None:
        self.capacity = capacity
        self._items: OrderedDict[tuple, Verdict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Verdict | None:
        with self._lock:
            verdict = self._items.get(key)
            if verdict is not None:
                self._items.move_to_end(key)
            return verdict

    def put(self, key: tuple, verdict: Verdict) -> None:
        with self._lock:
            self._items[key] = verdict
            if len(self._items) > self.capacity:
                self._items.popitem(last=False)


_cache = _VerdictCache()


class _InFlight:
    """One verifier call per (answer, gold) at a time: a GRPO group of 16 identical slow answers waits on
    the first one's verdict instead of queueing 16 timeouts behind a few workers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[tuple, tuple[threading.Event, list[Verdict]]] = {}

    def claim(self, key: tuple) -> tuple[bool, threading.Event, list[Verdict]]:
        with self._lock:
            call = self._calls.get(key)
            if call is not None:
                return False, *call
            call = self._calls[key] = (threading.Event(), [])
            return True, *call

    def finish(self, key: tuple, verdict: Verdict) -> None:
        with self._lock:
            event, slot = self._calls.pop(key)
        slot.append(verdict)
        event.set()


_in_flight = _InFlight()


def judge(
    answer: str, gold: str, choices: Sequence[str] | None, timeout: float, max_queue_wait: float = 60.0
) -> Verdict:
    """Judge one final answer (its text, not a whole response) against ``gold``."""
    key = (answer, gold, tuple(choices) if choices else None)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    verdict = decide(answer, gold, choices)
    if verdict is not None:
        _cache.put(key, verdict)
        return verdict
    owner, done, slot = _in_flight.claim(key)
    if not owner:
        done.wait()
        return slot[0]
    verdict = VERIFIER_ERROR
    try:
        verdict = get_pool().judge(answer, gold, choices, timeout, max_queue_wait)
        if verdict.reason not in (Reason.VERIFIER_ERROR, Reason.VERIFIER_BUSY):
            _cache.put(key, verdict)
    finally:
        _in_flight.finish(key, verdict)
    return verdict
