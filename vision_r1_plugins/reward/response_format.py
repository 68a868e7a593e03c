"""The format half of the reward: is the response ``<think>..</think><answer>..</answer>`` and nothing else?

Every check is a linear scan (``str.find``/``str.count`` or a regex whose quantifiers cannot backtrack),
because a policy under RL happily emits 200K characters of thinking and the reward runs on every sample.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vision_r1_plugins.answers.boxes import last_boxed, strip_eos
from vision_r1_plugins.answers.characters import fold_lookalikes, has_content
from vision_r1_plugins.answers.locate import METHODS, answer_block, box_group, last_anchor
from vision_r1_plugins.answers.reasons import Reason
from vision_r1_plugins.answers.tags import ANSWER_CLOSE, ANSWER_OPEN, EXACT_TAGS
from vision_r1_plugins.generation.thinking import THINK_CLOSE, THINK_OPEN

# Anything that looks like a think/answer tag in any spelling (case, spaces, attributes).
# Possessive quantifiers keep this linear on long runs of whitespace.
_TAG_LIKE = re.compile(r"<\s*+(?:/\s*+)?(?:think|answer)\b[^<>]{0,64}+>?", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedResponse:
    format_ok: bool
    reason: str  # a Reason: ok, or why the format failed
    answer: str | None  # the raw final answer text (answer block or boxed content), None when absent


# Any "<" (or a full-width or small-form one) that a non-ASCII character follows closely: the only places a
# tag can hide behind invisible characters or look-alike letters.
_DISGUISE_START = re.compile(r"[<＜﹤](?=[^<>＜＞﹤﹥]{0,24}[^\x00-\x7f])")
_FOLDED_TAG = re.compile(r"[<＜﹤]/?(?:think|answer)(?![a-z])")
_DISGUISE_SPAN = 40


def _has_odd_tag(text: str) -> bool:
    """Whether any think/answer tag-like token is not one of the four exact tags: another spelling (``<Think>``,
    ``</answer >``), or one disguised by invisible characters or look-alike letters (``</th\u200bink>``,
    Cyrillic ``<thіnk>``, full-width ``<ｔhink>``)."""
    if any(match.group(0) not in EXACT_TAGS for match in _TAG_LIKE.finditer(text)):
        return True
    if text.isascii():
        return False
    for match in _DISGUISE_START.finditer(text):
        span = text[match.start() : match.start() + _DISGUISE_SPAN]
        if _FOLDED_TAG.match(fold_lookalikes(span)):
            return True
    return False


def lenient_answer(text: str) -> str | None:
    """The answer a reader takes from a malformed response: the last answer block (the anchor inside it, if
    any), else the last ``\\boxed{}`` after the thinking. The reward's ``mode="sum"`` grades accuracy on it."""
    block = answer_block(text)
    if block is not None and block.strip(" \t\n*_:："):
        inner = last_anchor(block, METHODS)
        return inner.text if inner is not None else block.strip()
    close = text.rfind(THINK_CLOSE)
    tail = text[close + len(THINK_CLOSE) :] if close >= 0 else text
    start = tail.rfind("\\boxed")
    return box_group(tail, start)[0] if start >= 0 else None


def _check_think(text: str, think_in_prompt: bool) -> tuple[str, int]:
    """Validate the single leading think block. Returns (reason, index just past ``</think>``)."""
    opens = text.count(THINK_OPEN)
    closes = text.count(THINK_CLOSE)
    if think_in_prompt:
        if opens:
            return Reason.TWO_THINK, -1
        opens = 1
    if opens == 0 or closes == 0:
        return Reason.NO_THINK, -1
    if opens > 1 or closes > 1:
        return Reason.TWO_THINK, -1
    close_at = text.find(THINK_CLOSE)
    if think_in_prompt:
        body = text[:close_at]
    else:
        open_at = text.find(THINK_OPEN)
        if close_at < open_at:
            return Reason.TAG_ORDER, -1
        if text[:open_at].strip():
            return Reason.TEXT_BEFORE_THINK, -1
        body = text[open_at + len(THINK_OPEN) : close_at]
    if not has_content(body):  # whitespace and zero-width characters are not thinking
        return Reason.EMPTY_THINK, -1
    return Reason.OK, close_at + len(THINK_CLOSE)


def _open_think_block(text: str, think_in_prompt: bool, style: str) -> tuple[str, ParsedResponse | None, int]:
    """Checks both styles share, up to the end of the think block.

    Returns (text without trailing EOS markers, the failure or None, index just past ``</think>``).
    """
    text = strip_eos(text)
    if not has_content(text):
        return text, ParsedResponse(False, Reason.EMPTY, None), -1
    if _has_odd_tag(text):
        return text, ParsedResponse(False, Reason.BAD_TAG, lenient_answer(text)), -1
    if style == "think_answer" and 0 <= text.find(ANSWER_OPEN) < text.find(THINK_OPEN):
        return text, ParsedResponse(False, Reason.TAG_ORDER, lenient_answer(text)), -1
    reason, think_end = _check_think(text, think_in_prompt)
    if reason != Reason.OK:
        return text, ParsedResponse(False, reason, lenient_answer(text)), -1
    return text, None, think_end


def parse_think_answer(text: str, think_in_prompt: bool = False) -> ParsedResponse:
    text, failed, think_end = _open_think_block(text, think_in_prompt, "think_answer")
    if failed is not None:
        return failed
    opens, closes = text.count(ANSWER_OPEN), text.count(ANSWER_CLOSE)
    if opens == 0 or closes == 0:
        return ParsedResponse(False, Reason.NO_ANSWER, lenient_answer(text))
    if opens > 1 or closes > 1:
        return ParsedResponse(False, Reason.TWO_ANSWERS, lenient_answer(text))
    open_at, close_at = text.find(ANSWER_OPEN), text.find(ANSWER_CLOSE)
    if not think_end <= open_at < close_at:
        return ParsedResponse(False, Reason.TAG_ORDER, lenient_answer(text))
    answer = text[open_at + len(ANSWER_OPEN) : close_at]
    if text[think_end:open_at].strip():
        return ParsedResponse(False, Reason.TEXT_BETWEEN, answer)
    if not has_content(answer):
        return ParsedResponse(False, Reason.EMPTY_ANSWER, None)
    if text[close_at + len(ANSWER_CLOSE) :].strip():
        return ParsedResponse(False, Reason.TEXT_AFTER_ANSWER, answer)
    return ParsedResponse(True, Reason.OK, answer)


# What may follow the final \boxed{..}: whitespace, a full stop, closing math delimiters.
_BOXED_TRAILER = re.compile(r"[\s.$]*+(?:\\\]|\\\))?[\s.$]*+")


def parse_boxed(text: str, think_in_prompt: bool = False) -> ParsedResponse:
    text, failed, think_end = _open_think_block(text, think_in_prompt, "boxed")
    if failed is not None:
        return failed
    if ANSWER_OPEN in text or ANSWER_CLOSE in text:
        return ParsedResponse(False, Reason.ANSWER_TAG_IN_BOXED_STYLE, lenient_answer(text))
    tail = text[think_end:]
    content, boxes, end = last_boxed(tail)
    if boxes == 0 or content is None:
        return ParsedResponse(False, Reason.NO_BOXED, None)
    if boxes > 1:
        return ParsedResponse(False, Reason.MULTIPLE_BOXED, content)
    if not has_content(content):
        return ParsedResponse(False, Reason.EMPTY_ANSWER, None)
    if not _BOXED_TRAILER.fullmatch(tail, end):
        return ParsedResponse(False, Reason.TEXT_AFTER_ANSWER, content)
    return ParsedResponse(True, Reason.OK, content)


def parse_response(text: str, style: str = "think_answer", think_in_prompt: bool = False) -> ParsedResponse:
    if style == "boxed":
        return parse_boxed(text, think_in_prompt)
    return parse_think_answer(text, think_in_prompt)
