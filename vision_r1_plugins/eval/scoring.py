"""Score benchmark responses (MathVista, MathVerse, MM-Math, DynaMath) without a GPT judge.

Three steps, each a pure function:

* :func:`~vision_r1_plugins.reward.extract_answer` (the project's one extractor) finds the final answer in a
  free-text response: the ``<answer>`` block, else the last ``\\boxed{}``, else ``Final Answer: X``, else
  ``the answer is X``, else a bare one-line reply.
* :func:`normalize_answer` applies MathVista's official normalisation: an option's text for multiple choice,
  ``str(int(float(x)))`` for integers, ``str(round(float(x), precision))`` for floats, a list of numbers.
* :func:`score_item` compares the normalised answer with the gold normalised the same way and, for free-form
  answers, falls back to the reward's math-verify judge, so ``\\frac{1}{2}``, ``2\\sqrt{3}`` or ``x = 5``
  count when the gold is written another way. Answers that hedge between candidates are wrong.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from vision_r1_plugins.reward import (
    BOXED,
    clean_answer,
    count_candidates,
    exact_value,
    extract_answer,
    gold_choice,
    judge,
    judge_answer,
    predicted_choice,
)

MULTI_CHOICE, FREE_FORM = "multi_choice", "free_form"
ANSWER_TYPES = ("integer", "float", "text", "list")

_ANSWER_TYPE_ALIASES = {"int": "integer", "decimal": "float", "number": "float", "exact": "text"}


@dataclass(frozen=True)
class EvalItem:
    """One benchmark row mapped onto common fields.

    Benchmarks spell the types differently ("multiple-choice", "multiple choice", "int"); those spellings are
    mapped onto the canonical ones here, and an unknown answer type scores as text rather than failing a run.
    """

    question: str
    answer: str
    choices: tuple[str, ...] | None = None
    question_type: str = FREE_FORM  # "multi_choice" | "free_form"
    answer_type: str = "text"  # "integer" | "float" | "text" | "list"
    precision: int | None = None  # decimals for float answers (MathVista)
    category: str | None = None

    def __post_init__(self) -> None:
        # JSON rows carry lists and MathVista stores precision as 2.0; a frozen dataclass must be coerced here.
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(str(option) for option in self.choices) or None)
        object.__setattr__(self, "answer", str(self.answer))
        question_type = str(self.question_type).strip().lower()
        multi_choice = "choice" in question_type or question_type == "mc"
        object.__setattr__(self, "question_type", MULTI_CHOICE if multi_choice else FREE_FORM)
        answer_type = str(self.answer_type).strip().lower()
        answer_type = _ANSWER_TYPE_ALIASES.get(answer_type, answer_type)
        object.__setattr__(self, "answer_type", answer_type if answer_type in ANSWER_TYPES else "text")
        precision = self.precision
        if isinstance(precision, float) and math.isnan(precision):  # pandas' missing value
            precision = None
        object.__setattr__(self, "precision", None if precision is None else int(precision))


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
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_UNIT_WORD = r"(?:\\(?:text|mathrm|mbox|textrm|rm)\s*\{\s*[A-Za-z][A-Za-z .]*\}|[A-Za-z][A-Za-z.]*(?: [A-Za-z.]+){0,2})"
_POWER = r"(?:\s*\^\s*\{?\s*[23]\s*\}?|[²³])?"
_DEGREE_OR_PERCENT = r"(?:\^\s*\{?\s*\\circ\s*\}?|°|\\degree|\\%|%)"
_NUMBER_WITH_UNIT = re.compile(
    rf"\s*(?P<number>{_NUMBER})\s*(?:{_DEGREE_OR_PERCENT}|{_UNIT_WORD}{_POWER}(?:\s*/\s*{_UNIT_WORD}{_POWER})?)?\s*"
)
_DECIMALS = re.compile(r"\d*\.(\d+)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_RELATION = re.compile(r"=|\\approx|≈|\\simeq|\\equiv")
_THIN_SPACE = re.compile(r"\\[,!]")
_SPACING = re.compile(r"\\[;: ]|\\q?quad\b|~")
_LIST_SEPARATOR = re.compile(r"\s*(?:[,;]|\band\b)\s*")
_BRACKETS = {"[": "]", "(": ")", "{": "}"}
_BARE_LETTER = re.compile(r"\(?[A-Za-z]\)?")
_CHOICE_LINE = re.compile(r"[ \t]*\(?(?P<letter>[A-Z])\s*[).:：][ \t]*(?P<text>\S.*?)[ \t]*")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Limits of what in-process math-verify is given; no benchmark answer comes near them.
_MAX_ALGEBRA_CHARS = 300
_MAX_POWERS = 12
# A number raised to a power that is itself a power, an exponent of 6+ digits, or the factorial of a 4+ digit number.
_POWER_BOMB = re.compile(r"\^\s*\{?\s*[-+]?\d+(?:\.\d+)?\s*\^|\^\s*\{?\s*[-+]?\d{6,}|\d{4,}\s*!")
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
        value = _number(cleaned)
        if value is None:
            return None
        number, literal = value
        if not literal and number != round(number):
            return None
        return str(int(number)) if literal else str(round(number))
    if item.answer_type == "float":
        value = _number(cleaned)
        if value is None:
            return None
        precision = item.precision if item.precision is not None else _decimals(item.answer)
        return str(round(value[0], precision) + 0.0)  # + 0.0 turns -0.0 into 0.0
    if item.answer_type == "list":
        numbers = _number_list(cleaned)
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
    if picked == "multiple" or isinstance(picked, int):
        return picked
    if _BARE_LETTER.fullmatch(answer):
        return None  # a letter with no such option ("E" of four) picks nothing, however similar
    if count_candidates(answer) > max(count_candidates(option) for option in choices):
        return "multiple"
    if any(char.isdigit() or char == "\\" for char in answer):
        matches = [index for index, option in enumerate(choices) if _math_equal(answer, str(option), timeout)]
        if len(matches) == 1:
            return matches[0]
    return _most_similar(answer, choices)


def _most_similar(answer: str, choices: Sequence[str]) -> int:
    """MathVista's ``get_most_similar`` (Levenshtein there; difflib's ratio here, first option on ties)."""
    wanted = " ".join(answer.lower().split())
    ratios = [
        difflib.SequenceMatcher(None, wanted, " ".join(str(option).lower().split())).ratio() for option in choices
    ]
    return ratios.index(max(ratios))


def _number(text: str) -> tuple[float, bool] | None:
    """(value, whether it was a decimal literal) of a number with optional units, ``x =`` or LaTeX value."""
    text = _plain_spacing(text).replace("−", "-").replace("\\$", "").replace("$", "")
    relations = list(_RELATION.finditer(text))
    if relations:
        text = text[relations[-1].end() :]
    text = _THOUSANDS.sub("", clean_answer(text))
    match = _NUMBER_WITH_UNIT.fullmatch(text)
    if match:
        value = float(match.group("number"))
        return (value, True) if math.isfinite(value) else None
    exact = exact_value(text)
    if exact is None:
        return None
    sign, square = exact
    try:
        value = sign * math.sqrt(square)
    except OverflowError:
        return None
    return value, False


def _plain_spacing(text: str) -> str:
    """LaTeX spacing as plain text: ``1\\,200`` and ``1{,}200`` are thousands separators, not lists."""
    return _SPACING.sub(" ", _THIN_SPACE.sub("", text.replace("{,}", ",")))


def _decimals(gold: str) -> int:
    """Decimals the gold is written with: MathVista's precision is exactly that."""
    match = _DECIMALS.search(gold)
    return len(match.group(1)) if match else 0


def _number_list(text: str) -> list[int | float] | None:
    text = text.replace("\\{", "{").replace("\\}", "}").strip()
    if text[:1] in _BRACKETS and text.endswith(_BRACKETS[text[0]]):
        text = text[1:-1]
    numbers: list[int | float] = []
    for part in _LIST_SEPARATOR.split(text):
        value = _number(part) if part else None
        if value is None:
            return None
        numbers.append(int(value[0]) if value[0] == int(value[0]) else value[0])
    return numbers


# ---------------------------------------------------------------------------------------------------------
# Scoring


def score_item(response: str, item: EvalItem, *, timeout: float | None = None) -> ScoreResult:
    """Extract, normalise, compare with the gold normalised the same way; math-verify for free-form answers.

    math-verify runs in this process by default, with no deadline: answers that are known to make sympy run
    for minutes (numeric power towers, huge exponents, very long expressions) are refused without it. With
    ``timeout`` (seconds) it runs in the reward's verifier processes instead, which are killed at the deadline
    (the answer then scores wrong): use that when scoring responses from an untrusted or unstable policy.
    """
    extracted, method = extract_answer(response)
    if extracted is None:
        return ScoreResult(False, None, None, method)
    cleaned = _plain_spacing(clean_answer(extracted[: _MAX_ANSWER_CHARS * 2]))
    if not cleaned or len(cleaned) > _MAX_ANSWER_CHARS:
        return ScoreResult(False, extracted, None, method)
    if item.question_type == MULTI_CHOICE:
        return _score_choice(cleaned, item, extracted, method, timeout)
    if _hedges(cleaned, item):
        return ScoreResult(False, extracted, None, method)
    normalized = normalize_answer(cleaned, item)
    if normalized is not None and normalized == normalize_answer(item.answer, item):
        return ScoreResult(True, extracted, normalized, method)
    return ScoreResult(_math_equal(cleaned, item.answer, timeout), extracted, normalized, method)


def _score_choice(answer: str, item: EvalItem, extracted: str, method: str, timeout: float | None) -> ScoreResult:
    choices = item_choices(item)
    if choices:
        index = _choice_index(answer, choices, timeout)
        normalized = choices[index] if isinstance(index, int) else None  # "multiple": a hedge picks nothing
    else:
        normalized = normalize_answer(answer, item)
    gold = _gold_option(item, choices)
    if not choices and gold is None:  # neither options nor a gold letter: the gold is the option's content
        return ScoreResult(_math_equal(answer, item.answer, timeout), extracted, normalized, method)
    return ScoreResult(normalized is not None and normalized == gold, extracted, normalized, method)


def _math_equal(answer: str, gold: str, timeout: float | None) -> bool:
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
