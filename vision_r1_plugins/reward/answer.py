"""The answer half of the reward, for everything that needs no computer algebra.

Pure functions over short strings: clean the final answer, detect hedged answers that offer several
candidates, read a multiple-choice letter in its usual spellings, compare word answers. Whatever needs
symbolic math is left to :mod:`vision_r1_plugins.reward.equivalence`, which runs in worker processes.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from vision_r1_plugins.reward.boxes import BOXED, last_boxed, match_brace
from vision_r1_plugins.reward.reasons import Reason


@dataclass(frozen=True)
class Verdict:
    correct: bool
    reason: str  # a Reason: ok, wrong_answer, multiple_candidates, bad_ground_truth, ...


CORRECT = Verdict(True, Reason.OK)
WRONG = Verdict(False, Reason.WRONG_ANSWER)
HEDGED = Verdict(False, Reason.MULTIPLE_CANDIDATES)
BAD_GOLD = Verdict(False, Reason.BAD_GROUND_TRUTH)

_FINAL_ANSWER_PREFIX = re.compile(
    r"^\s*(?:\*\*|__)?\s*(?:the\s+)?final\s+answer\s*(?:is\b)?\s*(?:\*\*|__)?\s*[:：]?\s*(?:\*\*|__)?\s*",
    re.IGNORECASE,
)
_WRAPPERS = (("$$", "$$"), ("$", "$"), ("\\[", "\\]"), ("\\(", "\\)"), ("**", "**"))
_TEXT_COMMANDS = ("\\text", "\\textbf", "\\mathrm", "\\mathbf", "\\mbox", "\\textrm")


def _unwrap_command(text: str, command: str) -> str | None:
    """``\\cmd{x}`` spanning the whole text -> ``x``; otherwise None."""
    if not text.startswith(command):
        return None
    brace = len(command)
    if brace >= len(text) or text[brace] != "{":
        return None
    close = match_brace(text, brace)
    if close != len(text) - 1:
        return None
    return text[brace + 1 : close]


def clean_answer(text: str) -> str:
    """Strip what surrounds a final answer: ``Final Answer:``, ``$..$``, ``\\[..\\]``, ``\\boxed{..}``.

    A lone ``\\boxed{x}`` inside surrounding prose is taken as the answer; several ``\\boxed`` are kept
    as they are so that :func:`count_candidates` sees them.
    """
    previous = None
    text = text.strip()
    while text != previous:
        previous = text
        text = _FINAL_ANSWER_PREFIX.sub("", text, count=1).strip()
        for left, right in _WRAPPERS:
            if len(text) >= len(left) + len(right) and text.startswith(left) and text.endswith(right):
                text = text[len(left) : len(text) - len(right)].strip()
        inner = _unwrap_command(text, BOXED)
        if inner is not None:
            text = inner.strip()
        elif text.count(BOXED) == 1:
            content, _, _ = last_boxed(text)
            if content is not None:
                text = content.strip()
        if text.endswith(".") and not text[:-1].rstrip().endswith(".") and len(text) > 1:
            # A sentence-final full stop ("C.", "5.") is punctuation, not part of the answer,
            # unless it ends a decimal-looking token like "5." which parses the same anyway.
            text = text[:-1].rstrip()
    return text


# ---------------------------------------------------------------------------------------------------------
# Hedged answers


_OR_WORDS = re.compile(r"\\(?:text|mbox|mathrm|textrm)\s*\{\s*(or|and)\s*\}|\\lor\b|\\vee\b")
_SPACING = re.compile(r"\\q?quad\b")
_SEPARATOR_WORDS = re.compile(r"\s(?:or|and)\s", re.IGNORECASE)


def count_candidates(text: str) -> int:
    """How many answers ``text`` offers at bracket depth 0.

    ``5 or 6``, ``4, 5`` and ``\\boxed{A}\\boxed{B}`` offer two; ``(1, 2)``, ``[0, 1)`` and ``1,000``
    offer one. ``\\pm`` counts twice, since ``\\pm 5`` stands for two values.
    """
    boxes = text.count(BOXED)
    if boxes > 1:
        return boxes
    text = _SPACING.sub(" ", _OR_WORDS.sub(lambda match: f" {match.group(1) or 'or'} ", text))
    depth = 0
    count = 1
    for index, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif depth == 0 and char in ",;":
            if char == "," and _is_thousands_separator(text, index):
                continue
            count += 1
    # "or"/"and" separate candidates only outside brackets; a depth-0 scan of words is approximated by
    # counting them in the bracket-free remainder, which is what hedges look like ("5 or 6").
    count += len(_SEPARATOR_WORDS.findall(_strip_bracketed(text)))
    if "\\pm" in text or "±" in text:
        count *= 2
    return count


def _is_thousands_separator(text: str, index: int) -> bool:
    before = text[index - 1] if index > 0 else ""
    group = text[index + 1 : index + 4]
    after = text[index + 4] if index + 4 < len(text) else ""
    return before.isdigit() and len(group) == 3 and group.isdigit() and not after.isdigit()


def _strip_bracketed(text: str) -> str:
    out = []
    depth = 0
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            out.append(char)
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------
# Multiple choice

_PREFIX = r"(?:(?:the\s+)?(?:correct\s+|final\s+|right\s+|best\s+)?(?:answer|option|choice)(?:\s+is)?\s*[:：]?\s*)?"
_LETTER = r"(?:\(([A-Za-z])\)|\[([A-Za-z])\]|([A-Za-z]))"
# One letter, then the end, punctuation, or (for capitals) whitespace and the option's text.
_CHOICE = re.compile(rf"{_PREFIX}{_LETTER}(?P<rest>(?:[.:)：]|\s|$).*)", re.IGNORECASE | re.DOTALL)
_MULTI_CHOICE = re.compile(
    rf"{_PREFIX}{_LETTER}(?:\s*(?:,|/|&|;|\bor\b|\band\b)\s*{_LETTER})+\s*\.?", re.IGNORECASE | re.DOTALL
)
_ANOTHER_LETTER = re.compile(r"(?:^|[\s,;/&])(?:or|and)?\s*\(?[A-Z]\)?(?:[.:)]|\s*$|\s*(?:,|or\b|and\b))")
_GOLD_CHOICE = re.compile(r"\(?([A-Z])\)?(?:[.:)]\s*(?P<text>.*))?", re.DOTALL)


def letter_index(letter: str) -> int:
    return string.ascii_uppercase.index(letter.upper())


def _normalise_text(text: str) -> str:
    text = clean_answer(text)
    for command in _TEXT_COMMANDS:
        inner = _unwrap_command(text, command)
        if inner is not None:
            text = inner
    text = text.replace("\\pi", "π").replace("\\%", "%").replace("^\\circ", "°").replace("^{\\circ}", "°")
    text = text.replace("\\,", "").replace("\\ ", "").replace("\\!", "").replace("\\left", "").replace("\\right", "")
    text = re.sub(r"\s+", "", text)
    return text.strip(".").lower()


def gold_choice(gold: str, choices: Sequence[str] | None) -> tuple[int, str | None] | None:
    """The correct option when ``gold`` names one (``C``, ``(C)``, ``C. text`` or an option's text):
    its index and, when the gold spells it out, its text. None for a gold that is not a choice."""
    cleaned = clean_answer(gold)
    match = _GOLD_CHOICE.fullmatch(cleaned)
    if match and (match.group("text") is not None or len(cleaned) <= 3):
        return letter_index(match.group(1)), (match.group("text") or "").strip() or None
    if choices:
        wanted = _normalise_text(cleaned)
        hits = [index for index, option in enumerate(choices) if _normalise_text(str(option)) == wanted]
        if len(hits) == 1:
            return hits[0], str(choices[hits[0]])
    return None


def predicted_choice(pred: str, choices: Sequence[str] | None) -> int | str | None:
    """The option a prediction picks: its index, ``"multiple"`` when it hedges, or None when it names none.

    The option's full text wins over a letter reading, so an option that begins with the article "A"
    ("A right triangle") is read as that option, not as letter A.
    """
    if choices:
        wanted = _normalise_text(pred)
        hits = [index for index, option in enumerate(choices) if _normalise_text(str(option)) == wanted]
        if len(hits) == 1:
            return hits[0]
    if pred.count(BOXED) > 1 or _MULTI_CHOICE.fullmatch(pred):
        return "multiple"
    match = _CHOICE.fullmatch(pred)
    if not match:
        return None
    letter = next(group for group in match.groups()[:3] if group)
    rest = match.group("rest")
    if match.group(3):  # written without brackets: make sure it is a letter, not the first word of prose
        text_after = rest.strip()
        if rest[:1].isspace() and text_after and (letter.islower() or text_after[:1].islower()):
            return None  # "a triangle", "I think", "A right angle"
    if re.search(r"\b(?:or|and)\b|,", rest) and _ANOTHER_LETTER.search(rest.strip()):
        return "multiple"
    index = letter_index(letter)
    if choices and index >= len(choices):
        return None
    return index


# ---------------------------------------------------------------------------------------------------------
# Word answers

_WORD = re.compile(r"[A-Za-z][A-Za-z' \-]*[A-Za-z]")
_MATH_WORDS = frozenset({"pi", "inf", "infinity", "oo", "sqrt", "frac", "e"})


def is_word_answer(gold: str) -> bool:
    cleaned = clean_answer(gold)
    for command in _TEXT_COMMANDS:
        inner = _unwrap_command(cleaned, command)
        if inner is not None:
            cleaned = inner.strip()
    return bool(_WORD.fullmatch(cleaned)) and cleaned.lower() not in _MATH_WORDS


def judge_words(pred: str, gold: str) -> Verdict:
    if count_candidates(pred) > count_candidates(gold):
        return HEDGED
    return CORRECT if _normalise_text(pred) == _normalise_text(gold) else WRONG


# ---------------------------------------------------------------------------------------------------------
# Plain numbers and simple radicals
#
# Most answers in geometry data are integers, decimals, fractions, ``a\\sqrt{b}`` and degrees. Those are decided
# here exactly, in microseconds; everything else goes to math-verify. A value ``c * sqrt(r)`` (c rational, r a
# non-negative integer) is represented by its sign and ``c^2 * r``, which identifies it uniquely.

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_INTEGER = re.compile(r"[-+]?\d+")
_COEFFICIENT_SQRT = re.compile(rf"(?P<coef>{_NUMBER})?\s*\\sqrt\s*\{{\s*(?P<radicand>\d+)\s*\}}")
_ONE_LEVEL = r"[^{}]*(?:\{[^{}]*\}[^{}]*)?"  # a brace group may hold one nested group: \frac{\sqrt{3}}{2}
_FRACTION = re.compile(rf"\\[dt]?frac\s*\{{(?P<top>{_ONE_LEVEL})\}}\s*\{{(?P<bottom>{_ONE_LEVEL})\}}")
_DEGREES = re.compile(r"\s*(?:\^\s*\{?\s*\\circ\s*\}?|°|\\degree)\s*$")
# math-verify compares numbers rounded to 6 decimals, so values further apart than this never match there.
_CLEARLY_DIFFERENT = 1e-5


def _unsigned_surd(text: str) -> Fraction | None:
    """``c^2 * r`` for an unsigned number, ``c\\sqrt{r}``, or a quotient of those; None otherwise."""
    text = text.strip()
    if re.fullmatch(_NUMBER, text):
        return Fraction(text) ** 2
    match = _COEFFICIENT_SQRT.fullmatch(text)
    if match:
        coefficient = Fraction(match.group("coef")) if match.group("coef") else Fraction(1)
        return coefficient**2 * int(match.group("radicand"))
    match = _FRACTION.fullmatch(text) or re.fullmatch(r"(?P<top>[^/]+)/(?P<bottom>[^/]+)", text)
    if match:
        top, bottom = _unsigned_surd(match.group("top")), _unsigned_surd(match.group("bottom"))
        if top is not None and bottom:
            return top / bottom
    return None


def exact_value(text: str) -> tuple[int, Fraction] | None:
    """(sign, square) of a plain number or simple radical (degree marks dropped), or None."""
    text = _DEGREES.sub("", text.strip())
    sign = 1
    while text[:1] in "+-":
        sign = -sign if text[0] == "-" else sign
        text = text[1:].lstrip()
    fraction = _FRACTION.fullmatch(text)
    if fraction and fraction.group("top").lstrip()[:1] == "-":  # \frac{-1}{2}
        sign = -sign
        text = f"\\frac{{{fraction.group('top').lstrip()[1:]}}}{{{fraction.group('bottom')}}}"
    square = _unsigned_surd(text)
    if square is None:
        return None
    return (0 if square == 0 else sign), square


def judge_numbers(pred: str, gold: str) -> Verdict | None:
    """Decide plain-number and simple-radical answers exactly; None when that is not certain."""
    gold_value = exact_value(gold)
    if gold_value is None:
        return None
    pred_value = exact_value(pred)
    if pred_value is None:
        return None
    if pred_value == gold_value:
        return CORRECT
    if _INTEGER.fullmatch(pred.strip()) and _INTEGER.fullmatch(gold.strip()):
        return WRONG
    try:
        gold_float = gold_value[0] * float(gold_value[1]) ** 0.5
        pred_float = pred_value[0] * float(pred_value[1]) ** 0.5
    except OverflowError:  # hundreds of digits: leave it to math-verify
        return None
    if abs(gold_float - pred_float) > _CLEARLY_DIFFERENT and max(abs(gold_float), abs(pred_float)) < 1e12:
        return WRONG
    return None
