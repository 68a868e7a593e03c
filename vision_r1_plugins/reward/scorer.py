"""The hard formatting result reward (HFRRF) of Vision-R1, with verl's reward-function signature."""

from __future__ import annotations

import functools
import logging
import math
import numbers
import os
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from vision_r1_plugins.answers import read_answer
from vision_r1_plugins.answers.characters import has_content
from vision_r1_plugins.answers.judge import BAD_GOLD, Verdict, is_missing_gold
from vision_r1_plugins.answers.reasons import Reason
from vision_r1_plugins.answers.verify import judge
from vision_r1_plugins.reward.options import RewardOptions
from vision_r1_plugins.reward.response_format import parse_response

logger = logging.getLogger(__name__)

NO_ANSWER = Verdict(False, Reason.NO_ANSWER)
TOO_LONG = Verdict(False, Reason.ANSWER_TOO_LONG)
DEFAULT_OPTIONS = RewardOptions()


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


def _result(value: float, format_ok: bool, answer_ok: bool, pred: str, reason: str, detail: str = "") -> dict[str, Any]:
    # str(): a plain string in results, so they print, pickle and compare like any other. verl gathers every
    # key into its reward_extra_info, so every result has the same keys.
    return {
        "score": value,
        "format_ok": format_ok,
        "answer_ok": answer_ok,
        "pred": pred,
        "reason": str(reason),
        "detail": detail,
    }


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

    Returns ``score``, ``format_ok``, ``answer_ok``, ``pred`` (the final answer as read), ``reason`` (a
    :class:`Reason` value) and ``detail`` (for ``unrecognized_content``: the part of the answer that no rule
    covers, and why; empty otherwise). Never raises on any input text: a bug scores 0 with reason
    ``internal_error`` and is logged, so one bad sample cannot take a training run down. ``raise_on_error``
    (default: the environment variable ``VISION_R1_REWARD_RAISE_ON_ERROR``) re-raises instead; the test suite
    sets it.
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
    pred = _stated(raw_answer[: options.max_answer_chars * 2]) if raw_answer is not None else ""
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
        verdict = judge(raw_answer, gold, _as_choices(extra_info), options.timeout, options.max_queue_wait)

    pred = pred[: options.max_answer_chars]
    if hard:
        correct = parsed.format_ok and verdict.correct
        reason = verdict.reason if parsed.format_ok or gold is None else parsed.reason
        detail = verdict.detail if reason == verdict.reason else ""
        return _result(1.0 if correct else 0.0, parsed.format_ok, verdict.correct, pred, reason, detail)
    total = float(parsed.format_ok) + float(verdict.correct)
    reason = parsed.reason if not parsed.format_ok else verdict.reason
    return _result(total, parsed.format_ok, verdict.correct, pred, reason, verdict.detail)


def _stated(answer: str) -> str:
    """The final answer as read: from its first value to its last (``The answer is 12.`` -> ``12``), or the
    answer as written when it cannot be read."""
    reading = read_answer(answer)
    if reading.complete:
        return reading.text[reading.values[0].start : reading.values[-1].end].strip()
    return answer.strip()


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

    from vision_r1_plugins.answers.pool import default_pool_size

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
