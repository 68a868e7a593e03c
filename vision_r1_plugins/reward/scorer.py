"""The hard formatting result reward (HFRRF) of Vision-R1, with verl's reward-function signature."""

from __future__ import annotations

import functools
import logging
import math
import numbers
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from vision_r1_plugins.reward.answer import BAD_GOLD, Verdict, clean_answer
from vision_r1_plugins.reward.decide import is_missing_gold, judge_answer
from vision_r1_plugins.reward.options import RewardOptions
from vision_r1_plugins.reward.pool import VERIFIER_ERROR, get_pool
from vision_r1_plugins.reward.reasons import Reason
from vision_r1_plugins.reward.response_format import parse_response
from vision_r1_plugins.reward.text import has_content

logger = logging.getLogger(__name__)

NO_ANSWER = Verdict(False, Reason.NO_ANSWER)
TOO_LONG = Verdict(False, Reason.ANSWER_TOO_LONG)
DEFAULT_OPTIONS = RewardOptions()


class _VerdictCache:
    """Bounded LRU of algebraic verdicts. GRPO samples 8-16 responses per prompt and most of them end in the
    same few answers, so the same (answer, gold) pair is verified again and again."""

    def __init__(self, capacity: int = 1 << 16) -> None:
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
    """Judge one final answer: text rules in-process, algebra in a worker with a deadline.

    Verdicts and timeouts are cached per (answer, gold, choices): an answer that timed out once times out
    again, and costs nothing the second time. Concurrent calls for the same key share one verifier call. A
    verifier crash or a saturated pool is not cached: neither says anything about the answer."""
    key = (answer, gold, tuple(choices) if choices else None)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    verdict = judge_answer(answer, gold, choices)
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


def as_gold(ground_truth: Any) -> str | None:
    """The ground truth as text, or None when it is missing: None, NaN, inf, "", "N/A" (pandas and failed
    exports write these), a bool. Numbers of any kind (numpy's too) are written out in full, never in
    scientific notation: ``1e-07`` is ``0.0000001``."""
    if isinstance(ground_truth, bool) or ground_truth is None:
        return None
    if hasattr(ground_truth, "dtype") and hasattr(ground_truth, "ndim"):  # numpy, without importing it
        if ground_truth.ndim > 0:
            return as_gold(ground_truth.reshape(-1)[0]) if ground_truth.size == 1 else None
        if ground_truth.dtype.kind == "f" and not float(ground_truth).is_integer():
            # str() is the shortest spelling at the scalar's own precision: float32 0.1 is "0.1"
            return format(Decimal(str(ground_truth)), "f") if math.isfinite(float(ground_truth)) else None
        ground_truth = ground_truth.item()
        if isinstance(ground_truth, bool):
            return None
    if isinstance(ground_truth, numbers.Integral):
        return str(int(ground_truth))
    if isinstance(ground_truth, Decimal):
        return format(ground_truth, "f") if ground_truth.is_finite() else None
    if isinstance(ground_truth, numbers.Real):
        value = float(ground_truth)
        if not math.isfinite(value):
            return None
        if value.is_integer() and abs(value) < 1e15:  # 5.0 from a float column is the integer 5, not a rounding
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(ground_truth, list | tuple) and len(ground_truth) == 1:
        return as_gold(ground_truth[0])
    if isinstance(ground_truth, str) and has_content(ground_truth) and not is_missing_gold(ground_truth):
        return ground_truth
    return None


def _as_choices(extra_info: Any) -> list[str] | None:
    if not isinstance(extra_info, dict):
        return None
    choices = extra_info.get("choices")
    if choices is None or isinstance(choices, str | bytes):
        return None
    try:
        listed = [str(option) for option in choices]
    except TypeError:
        return None
    return listed or None


def _result(value: float, format_ok: bool, answer_ok: bool, pred: str, reason: str) -> dict[str, Any]:
    # str(): a plain string in results, so they print, pickle and compare like any other.
    return {"score": value, "format_ok": format_ok, "answer_ok": answer_ok, "pred": pred, "reason": str(reason)}


RAISE_ON_ERROR_ENV = "VISION_R1_REWARD_RAISE_ON_ERROR"


def _raise_on_error() -> bool:
    return os.environ.get(RAISE_ON_ERROR_ENV, "").strip().lower() in ("1", "true", "yes")


@functools.lru_cache(maxsize=64)
def _options_from_items(items: tuple[tuple[str, Any], ...]) -> RewardOptions:
    return RewardOptions.from_kwargs(dict(items))


def options_from_kwargs(kwargs: dict[str, Any]) -> RewardOptions:
    """:meth:`RewardOptions.from_kwargs`, parsed once per distinct set of options (verl calls the reward with
    the same ``reward_kwargs`` for every response)."""
    try:
        return _options_from_items(tuple(sorted(kwargs.items())))
    except TypeError:  # an unhashable value: parse it uncached, and let from_kwargs judge it
        return RewardOptions.from_kwargs(kwargs)


def score(
    solution: Any,
    ground_truth: Any,
    extra_info: Any = None,
    options: RewardOptions = DEFAULT_OPTIONS,
    *,
    raise_on_error: bool | None = None,
) -> dict[str, Any]:
    """Score one response with typed options: 1.0 only when the format AND the final answer are right
    (``mode="hard"``).

    Returns ``score``, ``format_ok``, ``answer_ok``, ``pred`` (the extracted answer) and ``reason`` (a
    :class:`Reason` value). Never raises on any input text: a bug scores 0 with reason ``internal_error`` and is
    logged, so one bad sample cannot take a training run down. ``raise_on_error`` (default: the environment
    variable ``VISION_R1_REWARD_RAISE_ON_ERROR``) re-raises instead; the test suite sets it.
    """
    text = solution if isinstance(solution, str) else ("" if solution is None else str(solution))
    try:
        return _score(text, ground_truth, extra_info, options)
    except Exception:
        if raise_on_error if raise_on_error is not None else _raise_on_error():
            raise
        logger.exception("vision_r1 reward failed on a response; scoring it 0")
        return _result(0.0, False, False, "", Reason.INTERNAL_ERROR)


def compute_score(
    data_source: Any = None,
    solution_str: Any = "",
    ground_truth: Any = None,
    extra_info: Any = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """:func:`score` with verl's reward-function signature; ``kwargs`` carries the options of
    :class:`RewardOptions` (verl passes ``reward_kwargs`` here). An invalid or misspelt option raises
    ``ValueError`` rather than being ignored for a whole run."""
    return score(solution_str, ground_truth, extra_info, options_from_kwargs(kwargs))


def _score(text: str, ground_truth: Any, extra_info: Any, options: RewardOptions) -> dict[str, Any]:
    parsed = parse_response(text, options.style, options.think_in_prompt)
    raw_answer = parsed.answer
    # The cap applies to the answer as written: padding is length too, and cleaning must not hide it.
    too_long = raw_answer is not None and len(raw_answer) > options.max_answer_chars
    pred = clean_answer(raw_answer[: options.max_answer_chars * 2]) if raw_answer is not None else ""
    gold = as_gold(ground_truth)
    hard = options.mode == "hard"

    if gold is None:
        verdict = BAD_GOLD
    elif hard and not parsed.format_ok:
        return _result(0.0, False, False, pred[: options.max_answer_chars], parsed.reason)
    elif raw_answer is None:
        verdict = NO_ANSWER
    elif too_long:
        verdict = TOO_LONG
    else:
        verdict = judge(pred, gold, _as_choices(extra_info), options.timeout, options.max_queue_wait)

    pred = pred[: options.max_answer_chars]
    if hard:
        correct = parsed.format_ok and verdict.correct
        reason = verdict.reason if parsed.format_ok or gold is None else parsed.reason
        return _result(1.0 if correct else 0.0, parsed.format_ok, verdict.correct, pred, reason)
    total = float(parsed.format_ok) + float(verdict.correct)
    reason = parsed.reason if not parsed.format_ok else verdict.reason
    return _result(total, parsed.format_ok, verdict.correct, pred, reason)


def score_many(
    responses: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Any] | None = None,
    options: RewardOptions = DEFAULT_OPTIONS,
    *,
    max_threads: int | None = None,
    on_done: Callable[[int, dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Score a batch. Threads only wait on verifier processes, so a few per worker keep them all busy.

    ``on_done(index, result)`` is called as each sample finishes (progress bars); results keep input order.
    """
    from concurrent.futures import ThreadPoolExecutor

    from vision_r1_plugins.reward.pool import default_pool_size

    if len(responses) != len(ground_truths):
        raise ValueError(f"{len(responses)} responses but {len(ground_truths)} ground truths")
    if extra_infos is not None and len(extra_infos) != len(responses):
        raise ValueError(f"{len(responses)} responses but {len(extra_infos)} extra_info entries")
    threads = max_threads or 2 * default_pool_size()
    results: list[dict[str, Any]] = [{} for _ in responses]

    def run(index: int) -> None:
        extra = extra_infos[index] if extra_infos is not None else None
        results[index] = score(responses[index], ground_truths[index], extra, options)
        if on_done is not None:
            on_done(index, results[index])

    with ThreadPoolExecutor(max_workers=threads) as executor:
        for future in [executor.submit(run, index) for index in range(len(responses))]:
            future.result()
    return results
