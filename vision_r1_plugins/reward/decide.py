"""Decide whether a final answer matches the ground truth.

``judge_answer(..., algebra=False)`` decides everything that plain text can decide (multiple choice, word
answers, hedges, relations, units, plain numbers) in microseconds and returns None when computer algebra is
needed; ``algebra=True`` (used inside worker processes) finishes the job with math-verify.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from vision_r1_plugins.reward.answer import BAD_GOLD, CORRECT, DOUBT, HEDGED, WRONG, Verdict, clean_answer
from vision_r1_plugins.reward.candidates import count_candidates, split_candidates
from vision_r1_plugins.reward.choice import MULTIPLE, gold_choice, predicted_choice
from vision_r1_plugins.reward.numbers import as_float, decimal_places, within_precision
from vision_r1_plugins.reward.reasons import Reason
from vision_r1_plugins.reward.text import has_content
from vision_r1_plugins.reward.units import units_conflict
from vision_r1_plugins.reward.values import VALUE_CHANGING, VARIABLE_NAME, Quantity, has_relation, parse_quantity
from vision_r1_plugins.reward.words import is_word_answer, judge_words, number_word

UNPARSABLE = Verdict(False, Reason.UNPARSABLE_ANSWER)
EMPTY = Verdict(False, Reason.EMPTY_ANSWER)

# Golds that are a missing value, not an answer (pandas writes NaN; a failed export writes "None").
MISSING_GOLDS = frozenset({"nan", "-nan", "inf", "-inf", "+inf", "none", "null", "n/a", "na", "nil", "undefined"})
# A candidate that is only one of these words is the lead-in of a sentence, not a value ("Therefore, 5").
_LEAD_WORDS = frozenset({"therefore", "thus", "so", "hence", "finally", "overall", "answer", "final answer",
                         "the answer", "the final answer", "i think", "so the answer", "in conclusion"})  # fmt: skip
_VALUE_CONTENT = re.compile(
    r"[\d\\^_=+\-*/()\[\]{}]|^[A-Za-z]$|(?<![A-Za-z])(?:zero|one|two|three|four|five|six|seven|eight|nine|ten"
    r"|eleven|twelve|twenty|hundred|thousand|half|third|quarter|pi|infinity)(?![A-Za-z])",
    re.IGNORECASE,
)
_MAX_NESTING = 30
# Two words in a row: a sentence, not a value with a unit.
_PROSE = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}\s+[A-Za-z]{2,}")
_SET_OR_INTERVAL = re.compile(r"[(\[{].*,.*[)\]}]", re.DOTALL)
# "\sqrt{3} \approx 1.73 cm": an exact value and its decimal approximation.
_APPROXIMATION = re.compile(
    r"(?P<exact>.*?[^\s=])\s*\\approx\s*(?P<approx>[-+]?\d[\d,]*(?:\.\d+)?)\s*(?P<unit>[^=\\]*)", re.DOTALL
)
_HAS_NUMBER = re.compile(r"[\d\\]")
_LEFT_SIDE_IS_VALUE = re.compile(r"\s*[-+(]?\s*[\d.\\]")
_ASSIGNMENT = re.compile(r"(?P<name>[A-Za-z](?:_\{?\w+\}?)?)\s*=\s*(?P<value>[^=]+)")
_POINT_LABEL = re.compile(r"^[A-Z](?:_\{?\w+\}?)?'*\s*=?\s*(?=\()")


def _nesting(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth = max(depth - 1, 0)
    return deepest


def is_missing_gold(gold: str) -> bool:
    return gold.strip().lower() in MISSING_GOLDS


def judge_answer(
    pred: str, gold: str, choices: Sequence[str] | None = None, *, algebra: bool = False
) -> Verdict | None:
    gold_clean = clean_answer(gold)
    if not has_content(gold_clean) or is_missing_gold(gold_clean):
        return BAD_GOLD
    pred_clean = clean_answer(pred)
    if not has_content(pred_clean):
        return EMPTY
    if _nesting(pred_clean) > _MAX_NESTING:
        return UNPARSABLE  # no answer nests 30 brackets deep; the parser would spend seconds on it
    choices = list(choices) if choices else None

    gold_option = gold_choice(gold_clean, choices)
    if gold_option is not None:
        return _judge_choice(pred_clean, *gold_option, choices, algebra)
    if is_word_answer(gold_clean):
        return judge_words(pred_clean, gold_clean)
    return _judge_values(pred_clean, gold_clean, algebra)


def _judge_values(pred: str, gold: str, algebra: bool) -> Verdict | None:
    gold_candidates = split_candidates(gold)
    if len(gold_candidates) != 1 or has_relation(gold) or "\\pm" in gold:
        # A list, a set of solutions or a relation as the gold: judged whole, after the hedge count.
        if count_candidates(pred) > count_candidates(gold):
            return HEDGED
        return _equivalent(gold, pred) if algebra else None
    gold_value = parse_quantity(gold_candidates[0])
    stated = _stated_values(pred, gold, gold_value, algebra)
    if not isinstance(stated, tuple):
        return stated
    quantities, approximations = stated
    distinct = _distinct(quantities)
    if distinct is None:
        return HEDGED
    if len(distinct) > 1:
        if not algebra:
            return None
        from vision_r1_plugins.reward.equivalence import equivalent

        first = distinct[0].text
        if not all(equivalent(first, other.text) for other in distinct[1:]):
            return HEDGED
    value = distinct[0]
    if units_conflict(value.unit, gold_value.unit):
        return WRONG
    for found in approximations:  # "\sqrt{3} \approx 1.73": the approximation must be right too
        if found is not None:
            consistent = _approximation_holds(found.group("exact"), found.group("approx"), algebra)
            if consistent is None:
                return None
            if not consistent:
                return WRONG
    return _compare(value, gold_value, algebra)


def _stated_values(
    pred: str, gold: str, gold_value: Quantity, algebra: bool
) -> Verdict | tuple[list[Quantity], list[re.Match[str] | None]] | None:
    """The quantities ``pred`` states for a single-valued gold (with any ``exact \\approx decimal`` pairs), or
    the verdict when the statement alone decides: a bound, a relation, prose, ``\\pm``, a value and a word."""
    if VALUE_CHANGING.search(pred):
        return WRONG  # "5 or more", "at least 5": a bound, not the value
    candidates = [
        number_word(candidate) or candidate
        for candidate in split_candidates(pred)
        if candidate.lower() not in _LEAD_WORDS
    ]
    if not candidates:
        return WRONG
    valued = [candidate for candidate in candidates if _VALUE_CONTENT.search(candidate)]
    if not valued:  # prose that states no value: wrong, unless the gold itself is no value either
        if gold_value.exact is not None:
            return WRONG
        return _gold_checked(gold, WRONG) if algebra else None
    if len(valued) < len(candidates):
        return HEDGED  # a value and something else: "5 or something", "A, 5"
    interval_gold = bool(_SET_OR_INTERVAL.fullmatch(gold_value.text))
    if interval_gold:
        candidates = _as_tuple(candidates)
    candidates = [part for candidate in candidates for part in _equal_sides(candidate)]
    if not candidates:
        return WRONG
    approximations = [_exact_and_approximation(candidate) for candidate in candidates]
    candidates = [
        f"{found.group('exact')} {found.group('unit')}".strip() if found else candidate
        for candidate, found in zip(candidates, approximations, strict=True)
    ]
    if any(_PROSE.search(candidate) and DOUBT.search(candidate) for candidate in candidates):
        return WRONG  # "It is wrong to say the answer is 5": prose that doubts or denies its value
    quantities = [parse_quantity(candidate) for candidate in candidates]
    if any(quantity.relation and not (interval_gold and quantity.membership) for quantity in quantities):
        return WRONG
    if any(quantity.approximate for quantity in quantities) and gold_value.places is None:
        return WRONG  # "\approx 5" for an exact gold
    if any(quantity.plus_minus for quantity in quantities):
        return HEDGED  # "\pm 5" states two values
    return quantities, approximations


def _exact_and_approximation(candidate: str) -> re.Match[str] | None:
    found = _APPROXIMATION.fullmatch(candidate)
    if found is None or VARIABLE_NAME.fullmatch(found.group("exact")) or not _HAS_NUMBER.search(found.group("exact")):
        return None  # "x \approx 2.24" is a variable and an approximate value, handled as one
    return found


def _approximation_holds(exact_text: str, approx_text: str, algebra: bool) -> bool | None:
    places = decimal_places(approx_text) or 0
    approx = float(approx_text.replace(",", ""))
    value = parse_quantity(exact_text).exact
    number = as_float(value) if value is not None else None
    if number is None:
        if not algebra:
            return None
        from vision_r1_plugins.reward.equivalence import numeric_value

        number = numeric_value(parse_quantity(exact_text).text)
        if number is None:
            return False
    return within_precision(number, approx, places)


def _equal_sides(candidate: str) -> list[str]:
    """``x = 5`` -> [``5``]; ``7 + 8 = 15`` -> both sides; ``x = 5 = 6`` -> [``5``, ``6``]. Sides that are only a
    variable name are dropped ("5 = x" is 5)."""
    if "=" not in candidate or (candidate.count("=") == 1 and not _LEFT_SIDE_IS_VALUE.match(candidate)):
        return [candidate]
    sides = [side.strip() for side in candidate.split("=")]
    kept = [side for side in sides if side and not VARIABLE_NAME.fullmatch(side)]
    return kept


def _as_tuple(candidates: list[str]) -> list[str]:
    """``x = 1, y = 2`` (or ``A(1, 2)``) for a tuple gold: the tuple ``(1, 2)``."""
    if len(candidates) == 1:
        return [_POINT_LABEL.sub("", candidates[0], count=1)]
    assignments = [_ASSIGNMENT.fullmatch(candidate) for candidate in candidates]
    if all(assignments) and len({found.group("name") for found in assignments}) == len(assignments):
        return ["(" + ", ".join(found.group("value").strip() for found in assignments) + ")"]
    return candidates


def _distinct(quantities: list[Quantity]) -> list[Quantity] | None:
    """One quantity per distinct value; None when two values are certainly different (or one value is
    given in two units). Values that only algebra can compare are all kept."""
    by_value: dict[object, Quantity] = {}
    for quantity in quantities:
        exact = quantity.exact
        key = exact if exact is not None else ("text", "".join(quantity.text.split()))
        seen = by_value.get(key)
        if seen is None:
            by_value[key] = quantity
        elif units_conflict(seen.unit, quantity.unit):
            return None
        elif seen.unit is None:
            by_value[key] = quantity
    distinct = list(by_value.values())
    exact_count = sum(1 for quantity in distinct if quantity.exact is not None)
    if exact_count > 1:
        return None
    return distinct


def _compare(value: Quantity, gold: Quantity, algebra: bool) -> Verdict | None:
    gold_exact, pred_exact = gold.exact, value.exact
    places = gold.places
    if gold_exact is not None and pred_exact is not None:
        if pred_exact == gold_exact or _same_as_percent(value, gold):
            return CORRECT
        # Tolerance only for a rounded decimal gold, and only for an answer that is not itself a decimal as
        # written (an exact form such as \sqrt{3} against 1.73, or a value stated as approximate).
        if places and (value.places is None or value.approximate):
            pred_float, gold_float = as_float(pred_exact), as_float(gold_exact)
            if pred_float is not None and gold_float is not None and within_precision(pred_float, gold_float, places):
                return CORRECT
        return WRONG
    if not algebra:
        return None
    from vision_r1_plugins.reward.equivalence import numeric_value

    if places and gold_exact is not None and (value.places is None or value.approximate):
        number = numeric_value(value.text)
        gold_float = as_float(gold_exact)
        if number is not None and gold_float is not None:
            return CORRECT if within_precision(number, gold_float, places) else WRONG
    if pred_exact is not None and value.places is not None and gold_exact is None:
        # A decimal as written against an exact gold (\pi, \sqrt{2}+1): equal only if exactly equal, never
        # after math-verify's rounding to 6 decimals.
        number, gold_number = as_float(pred_exact), numeric_value(gold.text)
        if number is not None and gold_number is not None:
            return CORRECT if abs(number - gold_number) <= 1e-12 * max(1.0, abs(gold_number)) else WRONG
    return _equivalent(gold.text, value.text)


def _same_as_percent(value: Quantity, gold: Quantity) -> bool:
    r"""``50\%`` for a gold of 0.5, or 0.5 for ``50\%``: a percentage on one side only."""
    if (value.unit == "%") == (gold.unit == "%") or value.exact is None or gold.exact is None:
        return False
    (value_sign, value_square), (gold_sign, gold_square) = value.exact, gold.exact
    scaled = value_square / 10_000 if value.unit == "%" else value_square * 10_000
    return value_sign == gold_sign and scaled == gold_square


def _gold_checked(gold: str, verdict: Verdict) -> Verdict:
    """``verdict``, or ``bad_ground_truth`` when math-verify cannot read the gold."""
    from vision_r1_plugins.reward.equivalence import parse_math

    return verdict if parse_math(gold) else BAD_GOLD


def _equivalent(gold: str, pred: str) -> Verdict:
    from vision_r1_plugins.reward.equivalence import equivalent, parse_math

    result = equivalent(gold, pred)
    if result is None:
        return BAD_GOLD
    if result:
        return CORRECT
    return WRONG if parse_math(pred) else UNPARSABLE


def _judge_choice(
    pred: str, gold_index: int, gold_text: str | None, choices: list[str] | None, algebra: bool
) -> Verdict | None:
    if choices is not None and gold_index >= len(choices):
        return BAD_GOLD
    picked = predicted_choice(pred, choices, gold_index)
    if picked == MULTIPLE:
        return HEDGED
    if isinstance(picked, int):
        return CORRECT if picked == gold_index else WRONG
    if re.fullmatch(r"\(?[A-Z]\)?", pred):
        return WRONG  # a letter beyond the options
    if count_candidates(pred) > 1:
        return HEDGED
    # No letter: the prediction may be the option's text in another notation ("6π" for "6\pi").
    if choices is None:
        if not gold_text:
            return WRONG
        if " ".join(pred.split()) == " ".join(gold_text.split()):
            return CORRECT
        if not algebra:
            return None
        from vision_r1_plugins.reward.equivalence import equivalent

        return CORRECT if equivalent(gold_text, pred) else WRONG
    if not algebra:
        return None
    from vision_r1_plugins.reward.equivalence import matching_options

    matches = matching_options(pred, choices)
    return CORRECT if matches == [gold_index] else WRONG
