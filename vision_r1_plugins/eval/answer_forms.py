"""An extracted answer in the bare form an answer extractor hands to a benchmark's official scorer.

Official scorers compare strings: MathVista's turns ``"10"`` into ``str(int(float("10")))`` but fails on
``"10 cm"``; its GPT-4 extractor is asked to return the bare value. :func:`bare_answer` does that by rule: a
letter for multiple choice (when the answer names an option by letter, by its text or by an equal value), a
plain number for numeric answers (units, ``x =``, thousands separators, ``\\frac``, percent signs removed),
a Python-style list for list answers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from string import ascii_uppercase

from vision_r1_plugins.answers import plain_answer, read_answer
from vision_r1_plugins.answers.judge import picked_options
from vision_r1_plugins.eval.extraction import statement_value
from vision_r1_plugins.eval.items import MULTI_CHOICE, EvalItem
from vision_r1_plugins.eval.numbers import number_list, numeric_value

_LEADING_NUMBER = re.compile(r"[-+−]?\$?\s*(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d/^])")
_OPENING_WORD = re.compile(r"(?:(?:definitely|clearly|certainly|probably)\s+)?([A-Za-z]+)\s*[,;.]")
_PAREN_LETTER_ONLY = re.compile(r"\(([A-Za-z])\)|([A-Z])")
_LEADING_LETTER = re.compile(r"\(?([A-Z])\)?(?=[\s,.:)]|$)")
# A capital standing alone between spaces, Chinese or brackets ("选项为D", "答案是 C。"), not in "N/A" or "x^A".
# Limits of what math-verify is given in-process to match an answer to an option.
_MAX_ALGEBRA_CHARS = 120
_MAX_POWERS = 4
_STANDALONE_LETTER = re.compile(r"(?:^|(?<=[\s(（\u3400-\u9fff]))([A-Z])(?=$|[\s)）.,。，\u3400-\u9fff])")
_PAREN_LETTER = re.compile(r"^\(?([A-Za-z])\)?(?:[.:)\s]|$)")


def bare_answer(text: str | None, item: EvalItem, choices: Sequence[str] | None = None) -> str | None:
    """``text`` reduced to a letter, a number or a list, by the item's type; None when ``text`` is None.

    Text that cannot be reduced is returned cleaned but otherwise as it is, for the official rule to judge
    (MathVista maps any string to its nearest option).
    """
    if text is None:
        return None
    cleaned = plain_answer(text)
    if item.question_type == MULTI_CHOICE:
        return _letter(cleaned, choices) or cleaned
    if item.answer_type in ("integer", "float"):
        cleaned = cleaned.replace("$", "").strip()
        value = numeric_value(cleaned)
        if value is None:
            value = _leading_number(cleaned)
        if value is None:  # "There are 5 objects left": the value a sentence states
            stated = statement_value(cleaned)
            value = numeric_value(stated) if stated else None
            if value is None and stated:
                value = _leading_number(stated)
        return cleaned if value is None else _plain(value)
    if item.answer_type == "list":
        numbers = number_list(cleaned)
        return str(numbers) if numbers else cleaned
    return cleaned


def _letter(answer: str, choices: Sequence[str] | None) -> str | None:
    if not choices:
        match = _PAREN_LETTER.match(answer)
        return match.group(1).upper() if match and len(answer) <= 3 else None
    letter = _PAREN_LETTER_ONLY.fullmatch(answer)
    if letter:  # "(b)" is letter B even where an option reads "(b)", as MathVista's official rule reads it
        return (letter.group(1) or letter.group(2)).upper()
    picked = option_picked(answer, choices)
    if isinstance(picked, int):
        return ascii_uppercase[picked]
    if picked is None:
        opening = _OPENING_WORD.match(answer)
        words = [str(option).strip().lower() for option in choices]
        if opening and words.count(opening.group(1).lower()) == 1:  # "no, Slate is not the high median"
            return ascii_uppercase[words.index(opening.group(1).lower())]
    match = _LEADING_LETTER.match(answer)
    if picked is None and match and ascii_uppercase.index(match.group(1)) < len(choices):
        return match.group(1)  # "D, Dark Seafoam": the letter, whatever the words after it
    if picked is None:  # "80°，选项为D": the one option letter written alone in the text
        letters = set(_STANDALONE_LETTER.findall(answer))
        letters = {letter for letter in letters if ascii_uppercase.index(letter) < len(choices)}
        if len(letters) == 1:
            return letters.pop()
    return None


def option_picked(answer: str, choices: Sequence[str]) -> int | str | None:
    """The option an answer picks, as the reward reads it (its letter, its text, an equal value): its index,
    ``"multiple"`` when it hedges between options, or None when it names none. Computer algebra, when needed,
    runs in-process on short answers only."""
    picked = picked_options(answer, choices)
    if picked is None and len(answer) <= _MAX_ALGEBRA_CHARS and answer.count("^") <= _MAX_POWERS:
        picked = picked_options(answer, choices, algebra=True)
    if isinstance(picked, set):
        return picked.pop() if len(picked) == 1 else ("multiple" if picked else None)
    return picked


def _number_word(word: str) -> int | None:
    reading = read_answer(word)
    if reading.complete and len(reading.values) == 1 and word.isalpha():
        value = reading.values[0].exact
        return int(value.coefficient) if value is not None and value.rational is not None else None
    return None


def _leading_number(text: str) -> float | None:
    """ "1 block that has 36 houses" -> 1; "4/2 = 2 dots in each group" -> 2 (the value after the last =)."""
    text = text[text.rfind("=") + 1 :].strip()
    word = _number_word(text.split(" ", 1)[0]) if text else None
    if word is not None:
        return float(word)
    match = _LEADING_NUMBER.match(text)
    if match is None:
        return None
    value = float(match.group().replace("−", "-").replace("$", "").replace(",", "").replace(" ", ""))
    return value if math.isfinite(value) else None


def _plain(value: float) -> str:
    """A number as an extractor writes it: ``3`` not ``3.0``; no ``-0``."""
    value = value + 0.0
    return str(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)
