"""Reasoning text: the ``<think>`` split and join every layer uses, and the self-reflection markers.

Reasoning models answer either with a separate reasoning field (vLLM's reasoning parser, DeepSeek's API) or
inline as ``<think>..</think>`` followed by the answer; everything downstream sees the inline form.
"""

from __future__ import annotations

import re

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


def split_thinking(text: str) -> tuple[str, str]:
    """(the thinking, what follows it). The thinking runs to the last ``</think>``, after the first ``<think>``
    when there is one (a chat template may have opened it in the prompt); no ``</think>``: no thinking."""
    close = text.rfind(THINK_CLOSE)
    if close < 0:
        return "", text.strip()
    thinking = text[:close]
    opened = thinking.find(THINK_OPEN)
    if opened >= 0:
        thinking = thinking[opened + len(THINK_OPEN) :]
    return thinking.strip(), text[close + len(THINK_CLOSE) :].strip()


def join_thinking(thinking: str, answer: str) -> str:
    """The inline form: ``<think>\\nTHINKING\\n</think>\\nANSWER``."""
    return f"{THINK_OPEN}\n{thinking}\n{THINK_CLOSE}\n{answer}"


# The self-reflection markers the Vision-R1 paper counts ("wait", "hmm", "double-check"); "double-checking" and
# "double-checked" are the same reflex.
REFLECTION_MARKERS: dict[str, re.Pattern[str]] = {
    "wait": re.compile(r"\bwait\b", re.IGNORECASE),
    "hmm": re.compile(r"\bhm{2,}+\b", re.IGNORECASE),
    "double_check": re.compile(r"\bdouble[-\u2010\u2011 ]?check", re.IGNORECASE),
}
MARKER_NAMES: tuple[str, ...] = tuple(REFLECTION_MARKERS)


def reflection_markers(text: str) -> dict[str, int]:
    """How often each self-reflection marker occurs in ``text`` (every marker present, zeros included)."""
    return {name: sum(1 for _ in pattern.finditer(text)) for name, pattern in REFLECTION_MARKERS.items()}
