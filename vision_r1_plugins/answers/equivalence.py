"""Mathematical equivalence through math-verify. Imported only inside verifier worker processes.

math-verify's own timeouts use SIGALRM, which fails outside the main thread (verl scores from executor
threads), so they are switched off here and the parent process enforces the deadline by killing the worker.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from latex2sympy2_extended import latex2sympy
from math_verify import parse, verify
from math_verify.parser import should_treat_as_complex
from sympy import Basic, MatrixBase

# With timeouts off math-verify warns on first use; the parent owns the deadline, so that is expected.
logging.getLogger("math_verify").setLevel(logging.ERROR)


def _has_math(parsed: list) -> bool:
    return any(isinstance(item, Basic | MatrixBase) for item in parsed)


@lru_cache(maxsize=4096)
def parse_math(text: str) -> tuple:
    """Parse a gold the reader could not read, as math-verify parses free text: ``$..$`` first (unwrapped
    parsing picks the last number in prose, "12 13 14" -> 14), the text as it is second. Empty when unparseable."""
    for candidate in (f"${text}$", text):
        parsed = parse(candidate, parsing_timeout=None)
        if _has_math(parsed):
            return tuple(parsed)
    return ()


@lru_cache(maxsize=4096)
def read_math(latex: str) -> tuple:
    """Parse the LaTeX the reader wrote for a value, whole or not at all: math-verify's own parse extracts the
    last expression it can find in a text, and so reads "2 \\max 3" as 3 and "5 \\cup 6" as 6."""
    try:
        expression = latex2sympy(
            latex, is_real=not should_treat_as_complex(latex), convert_degrees=False, normalization_config=None
        )
    except Exception:  # latex2sympy raises many types on what it cannot parse: not a value
        return ()
    return (expression, latex) if isinstance(expression, Basic | MatrixBase) else ()


def equivalent(gold: str, pred: str, *, raw_gold: bool = False) -> bool | None:
    """True/False, or None when ``gold`` itself cannot be parsed. ``pred`` (and ``gold`` unless ``raw_gold``)
    is LaTeX the reader wrote, parsed whole."""
    gold_parsed = parse_math(gold) if raw_gold else read_math(gold)
    if not gold_parsed:
        return None
    pred_parsed = read_math(pred)
    if not pred_parsed:
        return False
    return bool(verify(list(gold_parsed), list(pred_parsed), timeout_seconds=None))


def numeric_value(latex: str) -> float | None:
    """The number a constant expression the reader wrote stands for (``\\frac{\\pi}{2}`` -> 1.5707...), or None."""
    for item in read_math(latex)[:1]:
        if isinstance(item, Basic) and not item.free_symbols:
            try:
                value = complex(item.evalf(30))
            except (TypeError, ValueError, ArithmeticError):
                continue
            if value.imag == 0:
                return value.real
    return None
