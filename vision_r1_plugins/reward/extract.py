"""The one answer extractor: where a free-text response states its final answer.

Used by the reward's lenient mode, the bridge's judge and evaluation (which adds benchmark fallbacks on top).
The methods, in priority order: the ``<answer>`` block (its ``\\boxed{}`` or ``Final Answer:`` stripped), the
last ``\\boxed{}``, the last ``Final Answer: X`` (or a line starting ``Answer: X``), the last ``the answer is
X``, and a bare single-line reply.

Extraction is linear in the response length (``rfind`` and regexes on bounded tails only), because evaluated
policies emit 100K-character responses too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from vision_r1_plugins.generation.thinking import THINK_CLOSE, THINK_OPEN
from vision_r1_plugins.reward.answer import clean_answer
from vision_r1_plugins.reward.boxes import BOXED, boxed_at, last_boxed, strip_eos
from vision_r1_plugins.reward.tags import ANSWER_CLOSE, ANSWER_OPEN

METHODS: tuple[str, ...] = ("answer_tag", "boxed", "final_answer", "answer_is", "last_line")

# Characters after an anchor ("Final Answer", "the answer is") that may hold the answer; regexes run only there.
_TAIL = 400
# A bare reply with no markers is taken as the answer only when it is this short and a single line: longer
# tagless text is reasoning that was cut off, and guessing an answer out of it would score noise.
_BARE_REPLY_CHARS = 64
# str.lower() can change the length of non-ASCII text ("İ"), which would shift indices into the original.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

_FINAL_ANSWER = "final answer"
# What separates "final answer" from the answer: optional markdown, then "is", a colon, or a line break.
_FINAL_ANSWER_LEAD = re.compile(r"[ \t*_#]*+(?:is\b[ \t]*+[:：]?|[:：]|(?=\r?\n))")
# "Answer: X" counts only at the start of a line, where it labels the reply rather than discusses one.
_ANSWER_LABEL_LEAD = re.compile(r"[ \t*_]*+[:：]")
_ANSWER_IS = ("answer is", "answer should be", "answer would be", "answer will be", "option is", "choice is")
_ANSWER_IS_LEAD = re.compile(r"[ \t*_:：]*+")
# Where a sentence that states the answer stops: a full stop before a space, or a clause giving the reason.
_CLAUSE_END = re.compile(
    r"\.(?=\s|$)|,?\s+(?:because|since|as|which|so|therefore|hence|given|from|according)\b", re.IGNORECASE
)
# "The area is 12 cm" in a final answer: keep the value when what follows "is" looks like math.
_STATEMENT = re.compile(
    r"(?:the\s+)?[A-Za-z][A-Za-z' ]{0,60}?\s+(?:is|are|equals|was|becomes)\s+(?P<value>[-+−$\\(\[\d].*)",
    re.IGNORECASE | re.DOTALL,
)
# Boxes joined only by these on one line offer several answers ("\boxed{5} or \boxed{6}").
_BOX_SEPARATOR = re.compile(
    r"[ \t,;$~]*+(?:(?:or|and|\\(?:text|mbox|mathrm)\s*\{\s*(?:or|and)\s*\}|\\q?quad|\\lor|\\vee)[ \t,;$~]*+)?"
)
_MAX_BOXES_PER_LINE = 8


def extract_answer(response: str, methods: Sequence[str] = METHODS) -> tuple[str | None, str]:
    """The final answer in ``response`` and how it was found; ``(None, "none")`` when there is none.

    ``methods`` restricts the search to some of :data:`METHODS`, in their fixed priority order.

    Priority: the ``<answer>`` block (its ``\\boxed{}`` or ``Final Answer:`` stripped), the last ``\\boxed{}``,
    the last ``Final Answer: X`` (or a line starting ``Answer: X``), the last ``the answer is X``, and a bare
    single-line reply. Several ``\\boxed{}`` in the reasoning: the last wins; several joined on the last line
    ("\\boxed{A} or \\boxed{B}") are returned together so that scoring sees the hedge.
    """
    if not isinstance(response, str) or not response:
        return None, "none"
    text = strip_eos(response)
    lower = text.translate(_ASCII_LOWER)

    block = _answer_block(text) if "answer_tag" in methods else None
    if block is not None:
        block_lower = block.translate(_ASCII_LOWER)
        inner = (
            _boxed_in_block(block)
            or _after_final_answer(block, block_lower)
            or _after_answer_is(block, block_lower)
            or block.strip()
        )
        if inner and clean_answer(inner):  # "<answer>Final Answer:</answer>" names nothing
            return _statement_value(inner), "answer_tag"

    found = _last_boxed_answer(text) if "boxed" in methods else None
    if found:
        return found, "boxed"
    found = _after_final_answer(text, lower) if "final_answer" in methods else None
    if found:
        return _statement_value(_clause(found)), "final_answer"
    found = _after_answer_is(text, lower) if "answer_is" in methods else None
    if found:
        return found, "answer_is"
    found = _bare_reply(text) if "last_line" in methods else None
    if found:
        return found, "last_line"
    return None, "none"


def lenient_answer(text: str) -> str | None:
    """The answer a reader would take from a malformed response: the last answer block, else the last
    ``\\boxed{}`` after the thinking. The reward's ``mode="sum"`` grades accuracy on it."""
    found, _ = extract_answer(text, ("answer_tag",))
    if found is not None:
        return found
    close = text.rfind(THINK_CLOSE)
    found, _ = extract_answer(text[close + len(THINK_CLOSE) :] if close >= 0 else text, ("boxed",))
    return found


def stated_answer(text: str) -> str:
    """The final answer a reasoner states after its thinking: the last ``\\boxed{}``, else a ``Final Answer: X``
    or ``the answer is X`` line; empty when it states none. The bridge keeps a sample only when it has one."""
    found, _ = extract_answer(text, ("boxed", "final_answer", "answer_is"))
    return (found or "").strip()


def _answer_block(text: str) -> str | None:
    """Content of the last ``<answer>..</answer>``, or of a final unclosed ``<answer>`` after the thinking
    (servers that stop on ``</answer>`` drop the stop string)."""
    close = text.rfind(ANSWER_CLOSE)
    if close >= 0:
        opened = text.rfind(ANSWER_OPEN, 0, close)
        return text[opened + len(ANSWER_OPEN) : close] if opened >= 0 else None
    opened = text.rfind(ANSWER_OPEN)
    if opened < 0:
        return None
    think_close = text.rfind(THINK_CLOSE)
    if opened < think_close or (think_close < 0 and text.find(THINK_OPEN) >= 0):
        return None  # the tag is mentioned inside the thinking, or the thinking never finished
    return text[opened + len(ANSWER_OPEN) :]


def _boxed_in_block(block: str) -> str | None:
    """The box inside an answer block. Several boxes there are several answers: keep them all."""
    boxes = block.count(BOXED)
    if boxes > 1:
        return block.strip()
    if boxes == 1:
        content, _, _ = last_boxed(block)
        if content is not None and content.strip():
            return content.strip()
    return None


def _last_boxed_answer(text: str) -> str | None:
    content, count, end = last_boxed(text)
    if content is None or not content.strip():
        return None
    last = first = text.rfind(BOXED)
    # Walk back over boxes on the same line that only separators join to this one. Bounded: each step
    # needs a box ending right before the current one, so a long response costs at most a few scans.
    for _ in range(min(count - 1, _MAX_BOXES_PER_LINE)):
        previous = text.rfind(BOXED, max(0, first - _TAIL), first)
        if previous < 0:
            break
        _, previous_end = boxed_at(text, previous)
        if previous_end < 0 or previous_end > first:
            break
        gap = text[previous_end:first]
        if "\n" in gap or not _BOX_SEPARATOR.fullmatch(gap):
            break
        first = previous
    if first != last:
        return text[first:end].strip()
    return content.strip()


def _first_line(tail: str) -> str:
    """The first non-empty line, without markdown emphasis or a sentence's closing full stop."""
    for line in tail.splitlines():
        for tag in (THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE):  # "Final Answer:</answer>" names nothing
            line = line.replace(tag, " ")
        line = line.strip().strip("*").strip()
        if line.endswith(".") and not line.endswith(".."):
            line = line[:-1].rstrip().strip("*").strip()
        if line:
            return line
    return ""


def _after_final_answer(text: str, lower: str) -> str | None:
    """The line after the last ``Final Answer`` label; else after the last line that starts ``Answer:``."""
    position = len(lower)
    for _ in range(_MAX_BOXES_PER_LINE):  # a few "final answer"s in prose ("before the final answer, ...")
        position = lower.rfind(_FINAL_ANSWER, 0, position)
        if position < 0:
            break
        start = position + len(_FINAL_ANSWER)
        tail = text[start : start + _TAIL]
        lead = _FINAL_ANSWER_LEAD.match(tail)
        if lead:
            line = _first_line(tail[lead.end() :])
            if line:
                return line
    position = len(lower)
    for _ in range(_MAX_BOXES_PER_LINE):
        position = lower.rfind("answer", 0, position)
        if position < 0:
            break
        line_start = lower.rfind("\n", max(0, position - _TAIL), position) + 1
        if line_start == 0 and position > _TAIL:
            continue
        prefix = text[line_start:position]
        if prefix.strip(" \t*_#>-") and prefix.strip(" \t*_#>-").lower() not in ("the", "my"):
            continue
        tail = text[position + len("answer") : position + len("answer") + _TAIL]
        lead = _ANSWER_LABEL_LEAD.match(tail)
        if lead:
            line = _first_line(tail[lead.end() :])
            if line:
                return line
    return None


def _after_answer_is(text: str, lower: str) -> str | None:
    """The clause after the last ``the answer is`` (or ``the correct option is``)."""
    position, anchor = max((lower.rfind(anchor), anchor) for anchor in _ANSWER_IS)
    if position < 0:
        return None
    tail = text[position + len(anchor) : position + len(anchor) + _TAIL]
    tail = tail[_ANSWER_IS_LEAD.match(tail).end() :]
    return _clause(_first_line(tail)) or None


def _clause(line: str) -> str:
    """A stated answer up to the end of its sentence: ``12. I hope it is correct`` -> ``12``."""
    end = _CLAUSE_END.search(line)
    if end:
        line = line[: end.start()]
    return line.strip().strip("*").strip()


def _statement_value(answer: str) -> str:
    """``The area is 12 cm`` -> ``12 cm``; anything else unchanged."""
    if len(answer) > _TAIL:
        return answer
    match = _STATEMENT.fullmatch(answer.strip())
    if match is None:
        return answer
    return _clause(match.group("value"))


def _has_tag(text: str) -> bool:
    # A leftover tag means an empty or broken block, not a reply.
    return any(tag in text for tag in (THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE))


def _bare_reply(text: str) -> str | None:
    """The whole reply (after any thinking) when it is one short line: a direct answer such as ``B``."""
    think_close = text.rfind(THINK_CLOSE)
    if think_close < 0 and text.find(THINK_OPEN) >= 0:
        return None  # cut off while thinking
    tail = text[think_close + len(THINK_CLOSE) :] if think_close >= 0 else text
    if len(tail) > 4 * _BARE_REPLY_CHARS:
        return None
    tail = tail.strip()
    if not tail or len(tail) > _BARE_REPLY_CHARS or "\n" in tail or _has_tag(tail):
        return None
    return tail
