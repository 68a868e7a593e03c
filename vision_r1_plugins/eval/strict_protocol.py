"""The strict protocol: the reward's own judge, applied to the answer a response states.

* The answer is the one :func:`~vision_r1_plugins.eval.extraction.extract` finds; a response that states none
  is wrong (no chance credit).
* It is then judged exactly as the reward judges an ``<answer>`` block (:mod:`vision_r1_plugins.answers`): read
  completely, one value (restatements are one), equal to the gold. Multiple choice: it names exactly one option,
  by letter, by its text or by an equal value; a hedge, a letter beyond the options, or text that is no option
  is wrong. Free-form: exact numbers, units, then math-verify.
* For MathVista's typed answers (integer, float, list) the answer also counts when MathVista's own
  normalisation makes it equal to the gold (``str(int(float(x)))``, ``round(x, precision)``), provided it
  states one number (or one list): "50 marbles" is 50, "5 or 6" is no answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from vision_r1_plugins.answers import judge, plain_answer, read_answer
from vision_r1_plugins.answers.judge import decide
from vision_r1_plugins.eval.answer_forms import option_picked
from vision_r1_plugins.eval.extraction import Extraction, extract
from vision_r1_plugins.eval.items import MULTI_CHOICE, EvalItem
from vision_r1_plugins.eval.numbers import decimals, number_list, number_with_literal


@dataclass(frozen=True)
class ScoreResult:
    correct: bool
    extracted: str | None  # the answer text found in the response
    normalized: str | None  # that answer after the benchmark's normalisation
    method: str  # "answer_tag", "boxed", "final_answer", "answer_is", "last_line" or "none"


# ---------------------------------------------------------------------------------------------------------
# Normalisation (MathVista's calculate_score.normalize_extracted_answer)

_TYPED = ("integer", "float", "list")
# Longer "answers" are paragraphs; parsing them as numbers or options would only find noise (and be slow).
_MAX_ANSWER_CHARS = 1000
_CHOICE_LINE = re.compile(r"[ \t]*\(?(?P<letter>[A-Z])\s*[).:：][ \t]*(?P<text>\S.*?)[ \t]*")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Limits of what in-process math-verify is given; no benchmark answer comes near them.
_MAX_ALGEBRA_CHARS = 300
_MAX_POWERS = 12
# A number raised to a power that is itself a power, an exponent of 6+ digits, or the factorial of a 4+ digit number.
_POWER_BOMB = re.compile(r"\^\s*\{?\s*[-+]?\d+(?:\.\d+)?\s*\^|\^\s*\{?\s*[-+]?\d{6,}|\d{4,}\s*!")


def normalize_answer(extracted: str, item: EvalItem) -> str | None:
    """MathVista's normalisation of an extracted answer; None when it cannot be read as the item's type.

    Multiple choice: the option's text (a letter picks it; otherwise the option that is mathematically equal,
    else the one most similar as a string). Integer: ``str(int(float(x)))`` once thousands separators, units
    and a leading ``x =`` are gone (decimals truncate, as in MathVista; a LaTeX value must be a whole number).
    Float: ``str(round(x, precision))``, the precision defaulting to the gold's decimals. List: ``str`` of the
    list of numbers. Text: the cleaned answer.
    """
    cleaned = plain_answer(extracted)
    if not cleaned or len(cleaned) > _MAX_ANSWER_CHARS:
        return None
    if item.question_type == MULTI_CHOICE:
        choices = item_choices(item)
        picked = option_picked(extracted, choices or [""] * 5)
        if not isinstance(picked, int):
            return None
        return choices[picked] if choices else _LETTERS[picked]
    if item.answer_type == "integer":
        value = number_with_literal(cleaned)
        if value is None:
            return None
        number, literal = value
        if not literal and number != round(number):
            return None
        return str(int(number)) if literal else str(round(number))
    if item.answer_type == "float":
        value = number_with_literal(cleaned)
        if value is None:
            return None
        precision = item.precision if item.precision is not None else decimals(item.answer)
        return str(round(value[0], precision) + 0.0)  # + 0.0 turns -0.0 into 0.0
    if item.answer_type == "list":
        numbers = number_list(cleaned)
        return str(numbers) if numbers else None
    return cleaned.strip()


def item_choices(item: EvalItem) -> tuple[str, ...] | None:
    """The item's options, or those listed in its question (MathVerse puts ``A:..`` lines there)."""
    return item.choices or choices_from_question(item.question)


def choices_from_question(question: str) -> tuple[str, ...] | None:
    """Options written one per line as ``A: x`` / ``(A) x`` / ``A. x``, lettered from A in order."""
    options: list[str] = []
    for line in question.splitlines():
        match = _CHOICE_LINE.fullmatch(line)
        if match and match.group("letter") == chr(ord("A") + len(options)):
            options.append(match.group("text"))
        elif options and match is None and line.strip():
            break  # the list ended; later lettered lines are something else
    return tuple(options) if len(options) >= 2 else None


def score_item(response: str, item: EvalItem, *, timeout: float | None = None) -> ScoreResult:
    """Extract the answer from ``response`` and score it; see :func:`score_extraction`."""
    return score_extraction(extract(response, item_choices(item), item.question), item, timeout=timeout)


def score_extraction(extraction: Extraction, item: EvalItem, *, timeout: float | None = None) -> ScoreResult:
    """Judge the extracted answer against the gold as the reward does (see the module docstring).

    math-verify runs in this process by default, with no deadline: answers that are known to make sympy run
    for minutes (numeric power towers, huge exponents, very long expressions) are refused without it. With
    ``timeout`` (seconds) it runs in the reward's verifier processes instead, which are killed at the deadline
    (the answer then scores wrong): use that when scoring responses from an untrusted or unstable policy.
    """
    extracted, method = extraction.text, extraction.method
    if extracted is None:
        return ScoreResult(False, None, None, method)
    if len(extracted) > _MAX_ANSWER_CHARS * 2 or not plain_answer(extracted[: _MAX_ANSWER_CHARS * 2]):
        return ScoreResult(False, extracted, None, method)
    normalized = normalize_answer(extracted, item)
    if normalized is not None and item.question_type != MULTI_CHOICE and item.answer_type in _TYPED:
        reading = read_answer(extracted)
        single = not reading.complete or len(reading.values) == 1 or item.answer_type == "list"
        if single and normalized == normalize_answer(item.answer, item):
            return ScoreResult(True, extracted, normalized, method)
    return ScoreResult(math_equal(extracted, item.answer, timeout, item_choices(item)), extracted, normalized, method)


def math_equal(answer: str, gold: str, timeout: float | None = None, choices: Sequence[str] | None = None) -> bool:
    """The reward's judge: the readings first, then math-verify (in the verifier processes with ``timeout``)."""
    if timeout is not None:
        return judge(answer, gold, choices, timeout).correct
    verdict = decide(answer, gold, choices)
    if verdict is not None:
        return verdict.correct
    if _too_hard(answer) or _too_hard(gold):
        return False
    verdict = decide(answer, gold, choices, algebra=True)
    return bool(verdict and verdict.correct)


def _too_hard(text: str) -> bool:
    """Inputs on which sympy runs for minutes in-process: "9^{9^{9}}" takes > 60 s, 100 chained powers longer."""
    return len(text) > _MAX_ALGEBRA_CHARS or text.count("^") > _MAX_POWERS or bool(_POWER_BOMB.search(text))
