"""Verdicts, and the cleaning every final answer goes through before it is judged.

:func:`clean_answer` removes what surrounds a stated answer and changes nothing it states: lead-ins
("Final Answer:", "Therefore, the answer is", "答案：", "故选"), math delimiters, markdown, text commands
(``\\text{A}`` -> ``A``), a sentence's final full stop, and a ``\\boxed{}`` whose outside is only such
wrapping. A box with anything else around it is unwrapped in place, so ``-\\boxed{5}`` stays -5.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from vision_r1_plugins.reward.boxes import box_spans, match_brace
from vision_r1_plugins.reward.reasons import Reason
from vision_r1_plugins.reward.text import normalize_notation


@dataclass(frozen=True)
class Verdict:
    correct: bool
    reason: str  # a Reason: ok, wrong_answer, multiple_candidates, bad_ground_truth, ...


CORRECT = Verdict(True, Reason.OK)
WRONG = Verdict(False, Reason.WRONG_ANSWER)
HEDGED = Verdict(False, Reason.MULTIPLE_CANDIDATES)
BAD_GOLD = Verdict(False, Reason.BAD_GROUND_TRUTH)

_LEAD_IN = re.compile(
    r"^(?:"
    # English: "Therefore, the final answer is:", "So the answer is", "Answer:", "Option", "The correct choice is"
    r"(?:(?:so|thus|therefore|hence|finally|overall|consequently|in\s+conclusion|in\s+summary)\b\s*,?\s*)?"
    r"(?:(?:the|my|our)\s+)?(?:final\s+|correct\s+|right\s+|best\s+)?(?:answer|option|choice)(?![A-Za-z])"
    r"(?:\s*(?:is|would\s+be|will\s+be|should\s+be|=)(?![A-Za-z]))?\s*[:：]?"
    r"|(?:so|thus|therefore|hence|finally|consequently|clearly|obviously)\b\s*,?"
    # A short phrase and a comma before the answer: "Based on the figure, the answer is", "In triangle ABC, AB ="
    r"|[A-Za-z]{2,}[A-Za-z' ]{0,40},\s*(?=(?:the\s+|my\s+)?(?:final\s+|correct\s+)?answer\b|[A-Za-z]{1,3}\s*=)"
    # Chinese: "所以答案是", "答案：", "答：", "故选", "选项", "最终答案为"
    r"|(?:所以|因此|故|综上所述|综上|即)?[,，]?\s*(?:最终|正确)?(?:答案|结果)\s*(?:是|为|应为|应该是)?\s*[:：]?"
    r"|答\s*[:：]"
    r"|(?:所以|因此|故)?\s*(?:应)?选(?:项|择)?\s*[:：]?"
    r"|(?:所以|因此|故|即)[,，]?"
    r")\s*",
    re.IGNORECASE,
)
_TRAILER = re.compile(
    r"(?:\s*(?:是正确的|正确|为正确答案|对)"
    r"|\s+is\s+(?:the\s+)?(?:(?:correct|right|best|final)(?:\s+(?:answer|option|choice|one))?|answer|option|choice)"
    r"|[.\s]*I\s+hope\s+(?:it|this)\s+is\s+correct)\s*[.!]?$",
    re.IGNORECASE,
)
# Where a stated answer's justification starts: "5, since AB = BC", "C because the angle is 30°".
# A justification that names a number stays, so that no second value hides in it ("5, since 6 also works").
_JUSTIFICATION = re.compile(r",?\s+(?:because|since|as\s+shown|given\s+that|due\s+to)\b[^\d]*$", re.IGNORECASE)
_REASON_WORD = re.compile(r"(?<![A-Za-z])(?:because|since|as|given|so|then|and|or)(?![A-Za-z])", re.IGNORECASE)
# Typesetting that states nothing: old-style font switches, colours, phantoms, empty groups, code fences.
_FONT_SWITCH = re.compile(r"\{\\(?:rm|bf|it|sf|tt|sl|sc|cal|em)\s+([^{}]*)\}")
_COLOUR = re.compile(r"\\(?:textcolor|colorbox)\s*\{[^{}]*\}|\\color\s*\{[^{}]*\}")
# White text is invisible text: \color{white} hides everything after it, \textcolor{white}{..} its argument.
_WHITE = re.compile(r"\\textcolor\s*\{\s*white\s*\}\s*\{[^{}]*\}|\\color\s*\{\s*white\s*\}.*", re.DOTALL)
_PHANTOM = re.compile(r"\\[hv]?phantom\s*\{[^{}]*\}")
_EMPTY_GROUP = re.compile(r"[\^_]?\{\s*\}")
_STRUCK_OUT = re.compile(r"~~.*?~~", re.DOTALL)  # markdown strikethrough: withdrawn, not stated
_QUOTED_LETTER = re.compile(r"['\"‘’“”`]([A-Za-z])['\"‘’“”`]")
_CODE_FENCE = re.compile(r"^```[A-Za-z]*\s*(.*?)\s*```$", re.DOTALL)
_EMPHASIS = re.compile(r"^([*_])([^*_]+)\1$", re.DOTALL)
# Markdown italics anywhere ("*5* *6*"), but not the stars of a product ("2*3*4").
_ITALICS = re.compile(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])")
# ASCII spellings of relations: "x != 5", "x =/= 5", "x ~= 5".
_ASCII_RELATIONS = ((" =/= ", "=/=", "\\neq "), (" != ", "!=", "\\neq "), (" /= ", "/=", "\\neq "),
                    (" ~= ", "~=", "\\approx "), (" <> ", "<>", "\\neq "), (" <= ", "<=", "\\le "),
                    (" >= ", ">=", "\\ge "), (" == ", "==", "= "))  # fmt: skip
_WRAPPERS = (("$$", "$$"), ("$", "$"), ("\\[", "\\]"), ("\\(", "\\)"), ("`", "`"))
_TEXT_COMMAND = re.compile(
    r"\\(?:text|textbf|textit|textrm|textsf|texttt|textnormal|textsc|textup|textsl|textmd|mathrm|mathbf|mathit"
    r"|mathsf|mathtt|mathnormal|mathcal|mathscr|mathbb|mbox|hbox|operatorname\*?|boldsymbol|bm|emph|underline"
    r"|uline|fbox|framebox)\s*(?=\{)"
)
_DROPPED_COMMANDS = re.compile(r"\\(?:displaystyle|left|right|big|Big|bigg|Bigg)(?![A-Za-z])|\\!")
_FRACTION_VARIANTS = re.compile(r"\\[dt]frac(?![A-Za-z])")
# "The area is 12 square units", "It's 5", "面积是12平方厘米": a statement whose value follows "is".
_STATEMENT = re.compile(
    r"(?P<subject>(?:the\s+)?[A-Za-z][A-Za-z' ]{0,60}?)(?:\s+(?:is|are|equals|was|becomes|would\s+be|will\s+be)|'s)\s+"
    r"(?P<approx>(?:about|approximately|roughly|around)\s+)?(?P<value>[-+$\\(\[\d].*)"
    r"|(?P<zh_subject>[^\d\s]{1,30}?)(?:的值|的长|的长度|的面积|的度数)?(?:为|是|等于)\s*(?P<zh_value>[-+\\(\d].*)",
    re.IGNORECASE | re.DOTALL,
)
# A statement that denies or doubts its value states nothing: "It is wrong to say the answer is 5".
DOUBT = re.compile(
    r"(?<![A-Za-z])(?:not|no|never|nobody|none|wrong|incorrect|false|doubt\w*|unclear|unsure|uncertain|whether|if"
    r"|maybe|perhaps|possibly|might|may|could|cannot|can't|isn't|impossible|say|claim\w*|suppose|assume|guess"
    r"|unless|except)(?![A-Za-z])|不|非|否|没",
    re.IGNORECASE,
)
# What may surround a box that is the whole answer.
_BOX_OUTSIDE = re.compile(r"[\s.,:;!?$()\[\]\\]*")


def unwrap_text_commands(text: str) -> str:
    """``\\text{A}``, ``\\mathrm{cm}``, ``\\operatorname{or}`` -> their content, anywhere in ``text``."""
    while (match := _TEXT_COMMAND.search(text)) is not None:
        brace = match.end()
        close = match_brace(text, brace)
        if close < 0:
            return text[: match.start()] + text[brace + 1 :]
        text = f"{text[: match.start()]}{text[brace + 1 : close]}{text[close + 1 :]}"
    return text


def _strip_lead_in(text: str) -> str:
    return _LEAD_IN.sub("", text, count=1).strip() if text else text


def _resolve_boxes(text: str) -> str:
    """One answer box (or identical repeats) with only wrapping outside -> its content. One box inside other
    text -> unwrapped in place (``-\\boxed{5}`` -> ``-5``; braces kept next to a letter or digit, so
    ``2\\boxed{5}`` is not read as 25). Several different boxes stay for the candidate split to see."""
    spans = [(start, end, content.strip()) for start, end, content in box_spans(text)]
    if not spans:
        return text
    bounds = [0] + [index for start, end, _ in spans for index in (start, end)] + [len(text)]
    outside = "".join(text[bounds[index] : bounds[index + 1]] for index in range(0, len(bounds), 2))
    contents = {content for _, _, content in spans}
    if len(contents) == 1 and _BOX_OUTSIDE.fullmatch(_strip_lead_in(outside.strip())):
        return contents.pop()
    if len(spans) > 1:
        return text
    start, end, content = spans[0]
    before, after = text[:start], text[end:]
    if before[-1:].isdigit():  # "2\boxed{5}" is 2 times 5
        before += "\\cdot "
    if after[:1].isdigit():
        after = "\\cdot " + after
    glued = before[-1:].isalpha() or after[:1].isalpha()
    return f"{before}{{{content}}}{after}" if glued else f"{before}{content}{after}"


def statement_value(answer: str) -> str:
    """``The area is 12 cm`` -> ``12 cm``; anything else unchanged."""
    if len(answer) > 400:
        return answer
    match = _STATEMENT.fullmatch(answer.strip())
    if match is None:
        return answer
    subject = match.group("subject") if match.group("subject") is not None else match.group("zh_subject")
    if DOUBT.search(subject) or _REASON_WORD.search(subject):  # "C because the angle is 30°" names C, not 30°
        return answer
    if match.group("zh_value") is not None:
        return match.group("zh_value").strip()
    value = match.group("value").strip()
    return f"\\approx {value}" if match.group("approx") else value


@functools.lru_cache(maxsize=1 << 13)
def clean_answer(text: str) -> str:
    """Strip what surrounds a final answer; see the module docstring. Idempotent; cached, since golds and
    a GRPO group's answers repeat."""
    text = _ITALICS.sub(r"\1", normalize_notation(text).replace("**", "").replace("__", ""))
    text = _STRUCK_OUT.sub(" ", text)
    for spaced, bare, latex in _ASCII_RELATIONS:
        text = text.replace(spaced, f" {latex}").replace(bare, latex)
    text = _COLOUR.sub("", _WHITE.sub(" ", _PHANTOM.sub(" ", _FONT_SWITCH.sub(r"\1", text))))
    text = _DROPPED_COMMANDS.sub("", unwrap_text_commands(text))
    text = _EMPTY_GROUP.sub("", _FRACTION_VARIANTS.sub("\\\\frac", text))
    text = _QUOTED_LETTER.sub(r"\1", text.replace("\\$", ""))
    previous = None
    text = text.strip()
    while text != previous:
        previous = text
        text = _strip_lead_in(text)
        fence = _CODE_FENCE.fullmatch(text) or _EMPHASIS.fullmatch(text)
        if fence:
            text = fence.group(fence.lastindex or 1).strip()
        text = _JUSTIFICATION.sub("", text)
        for left, right in _WRAPPERS:
            inner = text[len(left) : len(text) - len(right)]
            wrapped = len(text) >= len(left) + len(right) and text.startswith(left) and text.endswith(right)
            if wrapped and left not in inner:  # "$5$ $6$" is two groups, not one wrapped answer
                text = inner.strip()
        text = _resolve_boxes(text)
        text = _TRAILER.sub("", text)
        if text.endswith((".", "!")) and not text[:-1].rstrip().endswith(".") and len(text) > 1:
            # A sentence-final full stop ("C.", "5.") is punctuation, not part of the answer.
            text = text[:-1].rstrip()
        text = statement_value(text)
    return text
