"""The format half of the reward: is the response ``<think>..</think><answer>..</answer>`` and nothing else?

Every check is a linear scan (``str.find``/``str.count`` or a regex whose quantifiers cannot backtrack),
because a policy under RL happily emits 200K characters of thinking and the reward runs on every sample.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"
EXACT_TAGS = frozenset({THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE})

# Anything that looks like a think/answer tag in any spelling (case, spaces, attributes).
# Possessive quantifiers keep this linear on long runs of whitespace.
_TAG_LIKE = re.compile(r"<\s*+(?:/\s*+)?(?:think|answer)\b[^<>]{0,64}+>?", re.IGNORECASE)

# Decoders that keep special tokens leave these at the end of an otherwise clean response.
_EOS_MARKERS = ("<|im_end|>", "<|endoftext|>", "</s>", "<｜end▁of▁sentence｜>")

BOXED = "\\boxed"


@dataclass(frozen=True)
class ParsedResponse:
    format_ok: bool
    reason: str  # "ok" or why the format failed
    answer: str | None  # the raw final answer text (answer block or boxed content), None when absent


def strip_eos(text: str) -> str:
    text = text.rstrip()
    changed = True
    while changed:
        changed = False
        for marker in _EOS_MARKERS:
            if text.endswith(marker):
                text = text[: -len(marker)].rstrip()
                changed = True
    return text


def _has_odd_tag(text: str) -> bool:
    """Whether any think/answer tag-like token is not one of the four exact tags."""
    return any(match.group(0) not in EXACT_TAGS for match in _TAG_LIKE.finditer(text))


def match_brace(text: str, open_index: int) -> int:
    """Index of the ``}`` closing the ``{`` at ``open_index``, or -1. Linear."""
    depth = 0
    for index in range(open_index, len(text)):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
    return -1


def last_boxed(text: str) -> tuple[str | None, int, int]:
    """Content of the last ``\\boxed{..}`` in ``text``, and the count of ``\\boxed`` occurrences.

    Returns (content or None, number of occurrences, index just past the closing brace or -1).
    """
    count = text.count(BOXED)
    if count == 0:
        return None, 0, -1
    content, end = boxed_at(text, text.rfind(BOXED))
    return content, count, end


def boxed_at(text: str, start: int) -> tuple[str | None, int]:
    """The ``\\boxed{..}`` starting at ``start``: its content and the index just past its ``}``, or (None, -1)."""
    brace = start + len(BOXED)
    while brace < len(text) and text[brace] == " ":
        brace += 1
    if brace >= len(text) or text[brace] != "{":
        return None, -1
    close = match_brace(text, brace)
    if close < 0:
        return None, -1
    return text[brace + 1 : close], close + 1


def _check_think(text: str, think_in_prompt: bool) -> tuple[str, int]:
    """Validate the single leading think block. Returns (reason, index just past ``</think>``)."""
    opens = text.count(THINK_OPEN)
    closes = text.count(THINK_CLOSE)
    if think_in_prompt:
        if opens:
            return "two_think", -1
        opens = 1
    if opens == 0 or closes == 0:
        return "no_think", -1
    if opens > 1 or closes > 1:
        return "two_think", -1
    close_at = text.find(THINK_CLOSE)
    if think_in_prompt:
        body = text[:close_at]
    else:
        open_at = text.find(THINK_OPEN)
        if close_at < open_at:
            return "tag_order", -1
        if text[:open_at].strip():
            return "text_before_think", -1
        body = text[open_at + len(THINK_OPEN) : close_at]
    if not body.strip():
        return "empty_think", -1
    return "ok", close_at + len(THINK_CLOSE)


def _open_think_block(text: str, think_in_prompt: bool, style: str) -> tuple[str, ParsedResponse | None, int]:
    """Checks both styles share, up to the end of the think block.

    Returns (text without trailing EOS markers, the failure or None, index just past ``</think>``).
    """
    text = strip_eos(text)
    if not text.strip():
        return text, ParsedResponse(False, "empty", None), -1
    if _has_odd_tag(text):
        return text, ParsedResponse(False, "bad_tag", lenient_answer(text)), -1
    if style == "think_answer" and 0 <= text.find(ANSWER_OPEN) < text.find(THINK_OPEN):
        return text, ParsedResponse(False, "tag_order", lenient_answer(text)), -1
    reason, think_end = _check_think(text, think_in_prompt)
    if reason != "ok":
        return text, ParsedResponse(False, reason, lenient_answer(text)), -1
    return text, None, think_end


def parse_think_answer(text: str, think_in_prompt: bool = False) -> ParsedResponse:
    text, failed, think_end = _open_think_block(text, think_in_prompt, "think_answer")
    if failed is not None:
        return failed
    opens, closes = text.count(ANSWER_OPEN), text.count(ANSWER_CLOSE)
    if opens == 0 or closes == 0:
        return ParsedResponse(False, "no_answer", lenient_answer(text))
    if opens > 1 or closes > 1:
        return ParsedResponse(False, "two_answers", lenient_answer(text))
    open_at, close_at = text.find(ANSWER_OPEN), text.find(ANSWER_CLOSE)
    if not think_end <= open_at < close_at:
        return ParsedResponse(False, "tag_order", lenient_answer(text))
    answer = text[open_at + len(ANSWER_OPEN) : close_at]
    if text[think_end:open_at].strip():
        return ParsedResponse(False, "text_between", answer)
    if not answer.strip():
        return ParsedResponse(False, "empty_answer", None)
    if text[close_at + len(ANSWER_CLOSE) :].strip():
        return ParsedResponse(False, "text_after_answer", answer)
    return ParsedResponse(True, "ok", answer)


# What may follow the final \boxed{..}: whitespace, a full stop, closing math delimiters.
_BOXED_TRAILER = re.compile(r"[\s.$]*+(?:\\\]|\\\))?[\s.$]*+")


def parse_boxed(text: str, think_in_prompt: bool = False) -> ParsedResponse:
    text, failed, think_end = _open_think_block(text, think_in_prompt, "boxed")
    if failed is not None:
        return failed
    if ANSWER_OPEN in text or ANSWER_CLOSE in text:
        return ParsedResponse(False, "answer_tag_in_boxed_style", lenient_answer(text))
    tail = text[think_end:]
    content, boxes, end = last_boxed(tail)
    if boxes == 0 or content is None:
        return ParsedResponse(False, "no_boxed", None)
    if boxes > 1:
        return ParsedResponse(False, "multiple_boxed", content)
    if not content.strip():
        return ParsedResponse(False, "empty_answer", None)
    if not _BOXED_TRAILER.fullmatch(tail, end):
        return ParsedResponse(False, "text_after_answer", content)
    return ParsedResponse(True, "ok", content)


def lenient_answer(text: str) -> str | None:
    """The answer a reader would take from a malformed response: the last answer block, else the last
    ``\\boxed{}`` after the thinking. Used only by ``mode="sum"``, which grades accuracy on its own."""
    close_at = text.rfind(ANSWER_CLOSE)
    if close_at >= 0:
        open_at = text.rfind(ANSWER_OPEN, 0, close_at)
        if open_at >= 0:
            return text[open_at + len(ANSWER_OPEN) : close_at]
    think_end = text.rfind(THINK_CLOSE)
    tail = text[think_end + len(THINK_CLOSE) :] if think_end >= 0 else text
    content, _, _ = last_boxed(tail)
    return content


def parse_response(text: str, style: str = "think_answer", think_in_prompt: bool = False) -> ParsedResponse:
    if style == "boxed":
        return parse_boxed(text, think_in_prompt)
    return parse_think_answer(text, think_in_prompt)
