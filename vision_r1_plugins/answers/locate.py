"""Where a whole response states its final answer: the one locator the reward, the bridge, evaluation and
``vision-r1 infer`` share. What the answer text then says is :func:`~vision_r1_plugins.answers.read_answer`'s job.

1. A response whose thinking never closed states nothing.
2. An ``<answer>`` block after the thinking is the answer (the anchor inside it, if any: a box, ``Final
   Answer:``).
3. Otherwise the LAST anchor wins: a ``\\boxed{}`` (an unclosed one at the very end reads to its line's end),
   ``Final Answer: X``, a line ``Answer: X`` (also behind a marker: ``†Answer: B``, ``**Answer:**``), ``the
   answer is X`` / ``the correct option is X``, a Chinese lead-in (``答案是``, ``故选``, ``选项(D)正确``) or a JSON
   ``"short answer"``. So a stale box in the reasoning loses to a later "the final answer is 45". Identical
   repeated boxes are one answer; different boxes joined on one line are returned together, so that reading
   them sees the hedge.
4. Otherwise a bare reply of up to three words on one line ("7", "B", "x = 5").

An anchored answer runs to the end of its sentence or clause ("... is 12, because ..." is 12). Full-width
forms are read as ASCII. Every scan is linear in the response length: evaluated policies emit 100K-character
responses too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vision_r1_plugins.answers.boxes import BOXED, boxed_at, strip_eos
from vision_r1_plugins.answers.characters import has_content
from vision_r1_plugins.answers.tags import ANSWER_CLOSE, ANSWER_OPEN
from vision_r1_plugins.generation.thinking import THINK_CLOSE, THINK_OPEN

METHODS: tuple[str, ...] = ("answer_tag", "boxed", "final_answer", "answer_is", "chinese", "last_line")


@dataclass(frozen=True)
class Found:
    text: str | None  # the answer as the response states it; None when it states none
    method: str  # one of METHODS, or "none"
    end: int = 0  # where the anchored answer ends in ``reply``
    reply: str = ""  # the part of the response after the thinking (NFKC), where later text is looked for


NOT_FOUND = Found(None, "none")

# Characters after an anchor that may hold its answer.
TAIL = 400
BARE_REPLY_CHARS = 80

_ANCHORS = re.compile(
    r"(?P<box>\\boxed\s*\{)"
    # DynaMath asks for JSON: {"solution": "...", "short answer": "..."}.
    r"|(?P<json>[\"']short\s+answer[\"']\s*:\s*[\"'])"
    r"|(?P<final>final\s+answer\b(?:\s*\([^()\n]{0,20}\))?[ \t*_#]*(?:is\b[ \t]*)?[:：]?)"
    # "Answer: X" at the start of a line or sentence, behind any marker ("†Answer:", "**Answer:**", "> Answer:")
    r"|(?P<label>(?:^|\n|(?<=[.!?])[ \t]+)[^\w\n]{0,8}(?:the\s+|my\s+)?(?:correct\s+)?(?:answer|ans)[ \t*_]*[:：])"
    r"|(?P<is>\b(?:answer|option|choice)(?:\s+letter)?(?:\s+to\s+(?:the|this)\s+(?:question|problem))?"
    r"\s+(?:is|should\s+be|would\s+be|will\s+be|must\s+be|is\s+therefore|=)(?![A-Za-z])[ \t]*[:：]?)"
    r"|(?P<zh>(?:正确)?答案\s*(?:选项)?\s*(?:应该?是|应为|是|为|选)?\s*[:：]?|(?:故|所以|因此|应|则)\s*选(?:择|项)?\s*[:：]?"
    r"|选项\s*(?=[(（]?[A-Z][)）]?\s*(?:是|为)?正确))",
    re.IGNORECASE,
)
# Where the sentence that holds a stated answer ends.
SENTENCE_END = re.compile(
    r"(?<!\d)(?<!^[A-Z])(?<![\s(][A-Z])\.(?=\s|$)|(?<=[A-Z])\.(?=\s+[A-Z][a-z])|(?<=\d)\.(?=\s+[A-Z]|\s*$)|[。；;\n]"
    r"|[,，]\s*(?:because|since|which|as|so|and|but|while|given|where|this|that|it|hence|therefore|thus)\b"
    r"|[，,]\s*(?:因为|所以|由于|即)|\s+(?:because|since)\b",
    re.IGNORECASE,
)
# What follows "the final answer" when it states no answer ("should be an integer").
_NOT_AN_ANSWER = re.compile(r"(?:should|must|will|would|can|could|needs?\s+to)\b", re.IGNORECASE)
_BOX_JOIN = re.compile(r"[ \t,;$~]*(?:(?:or|and|\\text\s*\{\s*(?:or|and)\s*\}|\\q?quad|\\lor|\\vee)[ \t,;$~]*)?")
_MAX_JOINED_BOXES = 8


def reply_part(response: str) -> str | None:
    """The part of a response after its thinking (the whole response when it has no think block); None when
    the thinking never closed. Full-width forms are folded (NFKC)."""
    text = strip_eos(response)
    if text.find(THINK_OPEN) >= 0 and text.rfind(THINK_CLOSE) < 0:
        return None
    close = text.rfind(THINK_CLOSE)
    after = text[close + len(THINK_CLOSE) :] if close >= 0 else ""
    reply = after if after.strip() else text
    return unicodedata.normalize("NFKC", reply)


def find_answer(response: str, methods: Sequence[str] = METHODS, skip: Callable[[str], bool] | None = None) -> Found:
    """Where ``response`` states its final answer; see the module docstring. ``methods`` restricts the search
    to some of :data:`METHODS`; ``skip`` rejects an anchored text (evaluation skips refusals), so that an
    earlier anchor is tried."""
    if not isinstance(response, str) or not response.strip():
        return NOT_FOUND
    reply = reply_part(response)
    if reply is None:
        return NOT_FOUND
    if "answer_tag" in methods:
        found = _answer_tag(reply, skip)
        if found is not None:
            return found
    anchored = last_anchor(reply, methods, skip)
    if anchored is not None:
        return anchored
    if "last_line" in methods:
        bare = reply.strip()
        if bare and len(bare) <= BARE_REPLY_CHARS and "\n" not in bare and "<" not in bare and _words(bare) <= 3:
            return Found(bare.rstrip("."), "last_line", len(reply), reply)
    return Found(None, "none", 0, reply)


_WORDISH = re.compile(r"[\u3400-\u9fff]|[^\s\u3400-\u9fff]+")


def _words(text: str) -> int:
    """Words in ``text``; a Chinese character counts as one."""
    return len(_WORDISH.findall(text))


def answer_block(text: str) -> str | None:
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


def _answer_tag(reply: str, skip: Callable[[str], bool] | None) -> Found | None:
    end = reply.rfind(ANSWER_CLOSE)
    start = reply.rfind(ANSWER_OPEN, 0, end if end >= 0 else len(reply))
    if start < 0:
        return None
    block = reply[start + len(ANSWER_OPEN) : end if end >= 0 else len(reply)]
    if not has_content(block) or not _names_something(block):
        return None  # "<answer>Final Answer:</answer>" names nothing
    inner = last_anchor(block, METHODS, skip)
    text = inner.text if inner is not None else block.strip()
    return Found(text, "answer_tag", end + len(ANSWER_CLOSE) if end >= 0 else len(reply), reply)


def last_anchor(
    reply: str, methods: Sequence[str] = METHODS, skip: Callable[[str], bool] | None = None
) -> Found | None:
    """The last anchor that holds an answer; earlier ones are tried only when a later one names nothing ("the
    final answer is as follows:" then a box)."""
    matches = [match for match in _ANCHORS.finditer(reply) if _method(match) in methods]
    for match in reversed(matches[-8:]):
        method = _method(match)
        if match.group("box"):
            value, end = box_group(reply, match.start())
        elif match.group("json"):
            close = reply.find(reply[match.end() - 1], match.end(), match.end() + TAIL)
            value = reply[match.end() : close].strip() if close >= 0 else None
            end = close + 1
        else:
            value = sentence(reply[match.end() : match.end() + TAIL])
            end = match.end() + len(value)
            if value and BOXED in value:
                continue  # the box that follows is its own, later anchor
        if value and _names_something(value) and not _NOT_AN_ANSWER.match(value) and not (skip and skip(value)):
            return Found(value, method, end, reply)
    return None


_FILLER = re.compile(r"\b(?:the|my|our|final|correct)\b|[\s.:：*_]", re.IGNORECASE)


def _names_something(value: str) -> bool:
    """Whether an anchored text holds more than anchors ("the answer is the answer is", "Final Answer:")."""
    return bool(_FILLER.sub("", _ANCHORS.sub(" ", value)))


def _method(match: re.Match[str]) -> str:
    if match.group("box"):
        return "boxed"
    if match.group("json"):
        return "answer_tag"
    if match.group("zh"):
        return "chinese"
    if match.group("is"):
        return "answer_is"
    return "final_answer"


def box_group(reply: str, start: int) -> tuple[str | None, int]:
    """The box at ``start`` with the boxes joined to it on its line (identical repeats count once), and where
    it ends. An unclosed box at the very end ("\\boxed{D." cut by the token limit) reads to its line's end."""
    content, end = boxed_at(reply, start)
    if content is None:
        rest = reply[start + len(BOXED) :].lstrip(" {")
        if "\n" in rest.rstrip() or BOXED in rest:
            return None, len(reply)  # not the end of the reply, or more boxes inside: no answer here
        line = rest.strip().rstrip(".$ }")
        return (line or None), len(reply)
    if not content.strip():
        return None, end
    contents = [content.strip()]
    first = start
    for _ in range(_MAX_JOINED_BOXES):  # walk back over "\boxed{5} or \boxed{6}"
        previous = reply.rfind(BOXED, max(0, first - TAIL), first)
        if previous < 0:
            break
        earlier, previous_end = boxed_at(reply, previous)
        gap = reply[previous_end:first] if previous_end >= 0 else "\n"
        if earlier is None or "\n" in gap or not _BOX_JOIN.fullmatch(gap):
            break
        contents.insert(0, earlier.strip())
        first = previous
    if len(set(contents)) == 1:
        return contents[0], end
    return reply[first:end].strip(), end


def sentence(tail: str) -> str:
    """The answer stated at the start of ``tail``: up to its sentence's end, markdown and quotes stripped."""
    for tag in (THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE):  # "Final Answer:</answer>" names nothing
        tail = tail.replace(tag, "\n")
    tail = tail.lstrip(" \t*_:：\"'`")
    if tail.startswith("\n"):
        tail = tail.lstrip()
    end = SENTENCE_END.search(tail)
    value = tail[: end.start()] if end else tail
    return value.strip().strip("*_\"'`").strip()


def stated_answer(text: str) -> str:
    """The final answer a reasoner states after its thinking (a box, ``Final Answer: X``, ``the answer is X``, a
    Chinese lead-in), as written; empty when it states none. The bridge keeps a sample only when it has one."""
    found = find_answer(text, ("boxed", "final_answer", "answer_is", "chinese"))
    return (found.text or "").strip().rstrip(".")
