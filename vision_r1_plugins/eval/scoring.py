"""The strict protocol: the project's own rules for benchmark answers, stricter than any official one.

* The answer is the one :func:`~vision_r1_plugins.eval.extraction.extract` finds; a response that states none
  is wrong (no chance credit).
* Multiple choice: the answer must name exactly one option, by letter, by its text or by an equal value; a
  hedge between options, a letter beyond them, or text that is no option is wrong.
* Free-form: MathVista's typed normalisation (``str(int(float(x)))``, ``round(x, precision)``, lists), else the
  reward's judge (exact number rules, then math-verify), so ``\\frac{1}{2}``, ``2\\sqrt{3}`` or ``x = 5``
  count when the gold is written another way. An answer offering more candidates than the gold is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from vision_r1_plugins.eval.extraction import Extraction, extract
from vision_r1_plugins.eval.items import MULTI_CHOICE, EvalItem
from vision_r1_plugins.eval.numbers import decimals, number_list, number_with_literal, plain_spacing
from vision_r1_plugins.reward import (
    BOXED,
    clean_answer,
    count_candidates,
    gold_choice,
    judge,
    judge_answer,
    predicted_choice,
)


@dataclass(frozen=True)
class ScoreResult:
    correct: bool
    extracted: str | None  # the answer text found in the response
    normalized: str | None  # that answer after the benchmark's normalisation
    method: str  # "answer_tag", "boxed", "final_answer", "answer_is", "last_line" or "none"


# ---------------------------------------------------------------------------------------------------------
# Normalisation (MathVista's calculate_score.normalize_extracted_answer)

# Longer "answers" are paragraphs; parsing them as numbers or options would only find noise (and be slow).
_MAX_ANSWER_CHARS = 1000
_BARE_LETTER = re.compile(r"\(?[A-Za-z]\)?")
_CHOICE_LINE = re.compile(r"[ \t]*\(?(?P<letter>[A-Z])\s*[).:：][ \t]*(?P<text>\S.*?)[ \t]*")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Limits of what in-process math-verify is given; no benchmark answer comes near them.
_MAX_ALGEBRA_CHARS = 300
_MAX_POWERS = 12
# A number raised to a power that is itself a power, an exponent of 6+ digits, or the factorial of a 4+ digit number.
_POWER_BOMB = re.compile(r"\^\s*\{?\s*[-+]?\d+(?:\.\d+)?\s*\^|\^\s*\{?\s*[-+]?\d{6,}|\d{4,}\s*!")
_WORDS = re.compile(r"[A-Za-z][A-Za-z -]{2,}")
_OR_HEDGE = re.compile(r"\bor\b|\\lor\b|\\vee\b|\\pm|±", re.IGNORECASE)


def normalize_answer(extracted: str, item: EvalItem) -> str | None:
    """MathVista's normalisation of an extracted answer; None when it cannot be read as the item's type.

    Multiple choice: the option's text (a letter picks it; otherwise the option that is mathematically equal,
    else the one most similar as a string). Integer: ``str(int(float(x)))`` once thousands separators, units
    and a leading ``x =`` are gone (decimals truncate, as in MathVista; a LaTeX value must be a whole number).
    Float: ``str(round(x, precision))``, the precision defaulting to the gold's decimals. List: ``str`` of the
    list of numbers. Text: the cleaned answer.
    """
    cleaned = clean_answer(extracted)
    if not cleaned or len(cleaned) > _MAX_ANSWER_CHARS:
        return None
    if item.question_type == MULTI_CHOICE:
        choices = item_choices(item)
        if not choices:
            picked = predicted_choice(cleaned, None)
            return _LETTERS[picked] if isinstance(picked, int) else None
        index = _choice_index(cleaned, choices)
        return choices[index] if isinstance(index, int) else None
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


def _choice_index(answer: str, choices: Sequence[str], timeout: float | None = None) -> int | str | None:
    """The option an answer names: its index, ``"multiple"`` for a hedge, or None."""
    picked = predicted_choice(answer, choices)
    if isinstance(picked, int):
        return picked if picked < len(choices) else None  # "(E)" of four options
    if picked == "multiple":
        return picked
    if _BARE_LETTER.fullmatch(answer):
        return None  # a letter with no such option ("E" of four) picks nothing, however similar
    if count_candidates(answer) > max(count_candidates(option) for option in choices):
        return "multiple"
    if any(char.isdigit() or char == "\\" for char in answer):
        matches = [index for index, option in enumerate(choices) if math_equal(answer, str(option), timeout)]
        if len(matches) == 1:
            return matches[0]
    if _WORDS.fullmatch(answer):  # "equilateral" names "An equilateral triangle" when no other option has it
        pattern = re.compile(rf"(?<!\w){re.escape(answer.lower())}(?!\w)")
        named = [index for index, option in enumerate(choices) if pattern.search(str(option).lower())]
        if len(named) == 1:
            return named[0]
    return None  # text that is no option picks none (the official MathVista rule would map it to the nearest)


def score_item(response: str, item: EvalItem, *, timeout: float | None = None) -> ScoreResult:
    """Extract the answer from ``response`` and score it; see :func:`score_extraction`."""
    return score_extraction(extract(response, item_choices(item), item.question), item, timeout=timeout)


def score_extraction(extraction: Extraction, item: EvalItem, *, timeout: float | None = None) -> ScoreResult:
    """Normalise, compare with the gold normalised the same way; math-verify for free-form answers.

    math-verify runs in this process by default, with no deadline: answers that are known to make sympy run
    for minutes (numeric power towers, huge exponents, very long expressions) are refused without it. With
    ``timeout`` (seconds) it runs in the reward's verifier processes instead, which are killed at the deadline
    (the answer then scores wrong): use that when scoring responses from an untrusted or unstable policy.
    """
    extracted, method = extraction.text, extraction.method
    if extracted is None:
        return ScoreResult(False, None, None, method)
    cleaned = plain_spacing(clean_answer(extracted[: _MAX_ANSWER_CHARS * 2]))
    if not cleaned or len(cleaned) > _MAX_ANSWER_CHARS:
        return ScoreResult(False, extracted, None, method)
    if item.question_type == MULTI_CHOICE:
        return _score_choice(cleaned, item, extracted, method, timeout)
    # One number with its unit ("50 km/h", "$12{,}000$ dollars") is one candidate, whatever its punctuation.
    single_number = item.answer_type in ("integer", "float") and number_with_literal(cleaned) is not None
    if not single_number and _hedges(cleaned, item):
        return ScoreResult(False, extracted, None, method)
    normalized = normalize_answer(cleaned, item)
    if normalized is not None and normalized == normalize_answer(item.answer, item):
        return ScoreResult(True, extracted, normalized, method)
    return ScoreResult(math_equal(cleaned, item.answer, timeout), extracted, normalized, method)


def _score_choice(answer: str, item: EvalItem, extracted: str, method: str, timeout: float | None) -> ScoreResult:
    choices = item_choices(item)
    if choices:
        index = _choice_index(answer, choices, timeout)
        normalized = choices[index] if isinstance(index, int) else None  # "multiple": a hedge picks nothing
    else:
        normalized = normalize_answer(answer, item)
    gold = _gold_option(item, choices)
    if not choices and gold is None:  # neither options nor a gold letter: the gold is the option's content
        return ScoreResult(math_equal(answer, item.answer, timeout), extracted, normalized, method)
    return ScoreResult(normalized is not None and normalized == gold, extracted, normalized, method)


def math_equal(answer: str, gold: str, timeout: float | None = None) -> bool:
    """The reward's judge: exact number rules first, then math-verify."""
    if timeout is not None:
        return judge(answer, gold, None, timeout).correct
    if _too_hard(answer) or _too_hard(gold):
        return False
    verdict = judge_answer(answer, gold, None, algebra=True)
    return bool(verdict and verdict.correct)


def _too_hard(text: str) -> bool:
    """Inputs on which sympy runs for minutes in-process: "9^{9^{9}}" takes > 60 s, 100 chained powers longer."""
    return len(text) > _MAX_ALGEBRA_CHARS or text.count("^") > _MAX_POWERS or bool(_POWER_BOMB.search(text))


def _gold_option(item: EvalItem, choices: tuple[str, ...] | None) -> str | None:
    """The gold normalised like a prediction; golds spelled ``C``, ``(C) text`` or as the option's text."""
    found = gold_choice(item.answer, choices)
    if found is None:
        return normalize_answer(item.answer, item)
    index, _ = found
    if choices:
        return choices[index] if index < len(choices) else None
    return _LETTERS[index]


def _hedges(answer: str, item: EvalItem) -> bool:
    """Whether a free-form answer offers several candidates where the gold is one."""
    if item.answer_type == "list":
        # Commas separate a list's items, so only an explicit alternative is a hedge here.
        return answer.count(BOXED) > 1 or (bool(_OR_HEDGE.search(answer)) and not _OR_HEDGE.search(item.answer))
    return count_candidates(answer) > count_candidates(clean_answer(item.answer))
