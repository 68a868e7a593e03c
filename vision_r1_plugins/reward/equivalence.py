"""Mathematical equivalence through math-verify. Imported only inside verifier worker processes.

math-verify's own timeouts use SIGALRM, which fails outside the main thread (verl scores from executor
threads), so they are switched off here and the parent process enforces the deadline by killing the worker.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache

from math_verify import parse, verify
from sympy import Basic, MatrixBase

# With timeouts off math-verify warns on first use; the parent owns the deadline, so that is expected.
logging.getLogger("math_verify").setLevel(logging.ERROR)


def _has_math(parsed: list) -> bool:
    return any(isinstance(item, Basic | MatrixBase) for item in parsed)


@lru_cache(maxsize=4096)
def parse_math(text: str) -> tuple:
    """Parse one answer. ``$..$`` first: unwrapped parsing picks the last number in prose ("12 13 14" -> 14),
    so it is only a fallback when the LaTeX reading yields nothing mathematical. Empty when unparseable."""
    for candidate in (f"${text}$", text):
        parsed = parse(candidate, parsing_timeout=None)
        if _has_math(parsed):
            return tuple(parsed)
    return ()


def equivalent(gold: str, pred: str) -> bool | None:
    """True/False, or None when ``gold`` itself cannot be parsed."""
    gold_parsed = parse_math(gold)
    if not gold_parsed:
        return None
    pred_parsed = parse_math(pred)
    if not pred_parsed:
        return False
    return bool(verify(list(gold_parsed), list(pred_parsed), timeout_seconds=None))


def matching_options(pred: str, options: Sequence[str]) -> list[int]:
    """Indices of the options that ``pred`` is mathematically equal to."""
    return [index for index, option in enumerate(options) if equivalent(str(option), pred)]


def numeric_value(text: str) -> float | None:
    """The number an expression without variables stands for (``\\frac{\\pi}{2}`` -> 1.5707...), or None."""
    for item in parse_math(text):
        if isinstance(item, Basic) and not item.free_symbols:
            try:
                value = complex(item.evalf(30))
            except (TypeError, ValueError, ArithmeticError):
                continue
            if value.imag == 0:
                return value.real
    return None
