"""Decide whether an answer states the ground truth: credit only a complete reading with one value, equal to it.

``decide(pred, gold, choices, algebra=False)`` settles everything the readings settle (letters, words, yes/no,
exact numbers, units, hedges) in-process and returns None when only computer algebra can tell;
``algebra=True`` (inside the verifier processes) finishes the job with math-verify.

The rules, in order:

1. The answer must be read completely; otherwise ``unrecognized_content``, naming the first unread part.
2. Several different values (restatements of one value are one) are a hedge: ``multiple_candidates``; so is
   ``\\pm``.
3. The value must be of the gold's kind and equal to it: an option for a multiple-choice gold, yes/no for a
   yes/no gold, the same words for a word gold, an equal number or expression (same unit where both name one)
   for a math gold; otherwise ``wrong_answer``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from vision_r1_plugins.answers import exact
from vision_r1_plugins.answers.characters import has_content
from vision_r1_plugins.answers.lexicon import NOUN
from vision_r1_plugins.answers.parse import read_answer
from vision_r1_plugins.answers.reading import Reading, Value
from vision_r1_plugins.answers.reasons import Reason
from vision_r1_plugins.answers.units import GENERIC


@dataclass(frozen=True)
class Verdict:
    correct: bool
    reason: str  # a Reason
    detail: str = ""  # for unrecognized_content: what was not read, and why


CORRECT = Verdict(True, Reason.OK)
WRONG = Verdict(False, Reason.WRONG_ANSWER)
HEDGED = Verdict(False, Reason.MULTIPLE_CANDIDATES)
BAD_GOLD = Verdict(False, Reason.BAD_GROUND_TRUTH)
EMPTY = Verdict(False, Reason.EMPTY_ANSWER)
UNPARSABLE = Verdict(False, Reason.UNPARSABLE_ANSWER)

# Golds that are a missing value, not an answer (pandas writes NaN; a failed export writes "None").
MISSING_GOLDS = frozenset({"nan", "-nan", "inf", "-inf", "+inf", "none", "null", "n/a", "na", "nil", "undefined"})
# Without a list of options, letters up to E (or the gold's letter) are options.
DEFAULT_OPTION_COUNT = 5
# Golds in true/false questions' own spellings (a checkmark and a cross are common in Chinese data).
_SYMBOL_GOLDS = {"√": "yes", "✓": "yes", "✔": "yes", "×": "no", "✗": "no", "✘": "no", "t": "yes", "f": "no"}
_ARTICLE = re.compile(r"^(?:a|an|the)\s+")


def is_missing_gold(gold: str) -> bool:
    return gold.strip().lower() in MISSING_GOLDS


def unrecognized(reading: Reading) -> Verdict:
    return Verdict(False, Reason.UNRECOGNIZED_CONTENT, reading.describe_unaccounted())


def decide(pred: str, gold: str, choices: Sequence[str] | None = None, *, algebra: bool = False) -> Verdict | None:
    if not has_content(gold) or is_missing_gold(gold):
        return BAD_GOLD
    if not has_content(pred):
        return EMPTY
    choices = [str(choice) for choice in choices] if choices else None
    gold_reading = read_answer(gold)
    unreadable = not gold_reading.complete and gold.strip().lower() not in _SYMBOL_GOLDS
    if unreadable and not choices and not _GOLD_LETTER.fullmatch(gold):  # it must at least parse as math
        if not algebra:
            return None
        from vision_r1_plugins.answers.equivalence import parse_math

        if not parse_math(gold):
            return BAD_GOLD
    reading = read_answer(pred)
    if not reading.complete:
        return unrecognized(reading) if reading.unaccounted is not None else EMPTY
    values = list(reading.values)
    if gold.strip() in ("T", "F") and not choices:  # a true/false gold, not the 20th option
        return _judge_yes_no(values, _SYMBOL_GOLDS[gold.strip().lower()])
    option = _gold_option(gold, gold_reading, choices)
    if option is not None:
        if choices and option.index < len(choices):  # an option's full text wins: "Solution B" is that option
            named = [index for index, choice in enumerate(choices) if _plain(choice) == _plain(pred)]
            if len(named) == 1:
                return CORRECT if named == [option.index] else WRONG
        return _judge_option(values, option, choices, gold_reading, algebra)
    if gold.strip().lower() in _SYMBOL_GOLDS:
        return _judge_yes_no(values, _SYMBOL_GOLDS[gold.strip().lower()])
    if not gold_reading.complete:
        return _judge_raw(values, gold, algebra)
    golds = gold_reading.values
    if len(golds) == 1 and golds[0].kind == "yes_no":
        return _judge_yes_no(values, golds[0].text)
    if len(golds) == 1 and golds[0].kind in ("word", "label"):
        return _judge_words(values, golds[0])
    ordered = _is_list(list(golds))
    golds = _list_items(list(golds))
    if len(golds) > 1:
        return _judge_list(_list_items(values), golds, algebra, ordered=ordered)
    return _judge_value(values, golds[0], algebra)


def _is_list(values: list[Value]) -> bool:
    return len(values) == 1 and values[0].kind == "tuple" and values[0].brackets == "[]" and len(values[0].items) >= 3


def _list_items(values: list[Value]) -> list[Value]:
    """A list in square brackets with three or more elements (``[2, 3, 5]``) is its elements; two elements in
    brackets are an interval."""
    return list(values[0].items) if _is_list(values) else values


# ------------------------------------------------------------------------------------------- multiple choice
@dataclass(frozen=True)
class _Option:
    index: int
    text: str | None  # the gold's spelled-out option text ("C. 6\pi"), when it has one


_GOLD_LETTER = re.compile(r"\s*\(?([A-Z])\)?\s*(?:[.:)]\s*(?P<text>.*))?", re.DOTALL)


def _gold_option(gold: str, reading: Reading, choices: list[str] | None) -> _Option | None:
    """The option a gold names: ``C``, ``(C)``, ``C. text``, or (with choices) an option's own text."""
    if reading.complete and len(reading.values) == 1 and reading.values[0].kind == "letter":
        value = reading.values[0]
        text = " ".join(option.text for option in value.option) or None
        return _Option(ord(value.text) - ord("A"), text)
    match = _GOLD_LETTER.fullmatch(gold)
    if match and (match.group("text") or len(gold.strip()) <= 3):
        return _Option(ord(match.group(1)) - ord("A"), (match.group("text") or "").strip() or None)
    lower = re.fullmatch(r"\s*\(?([a-z])\)?\s*", gold)
    if lower and choices and ord(lower.group(1)) - ord("a") < len(choices):  # "c" among listed options
        return _Option(ord(lower.group(1)) - ord("a"), None)
    if choices:
        wanted = _plain(gold)
        hits = [index for index, choice in enumerate(choices) if _plain(choice) == wanted]
        if len(hits) == 1:
            return _Option(hits[0], choices[hits[0]])
    return None


def gold_option_index(gold: str, choices: Sequence[str] | None = None) -> int | None:
    """The index of the option a multiple-choice gold names (``C``, ``(C)``, ``C. text``, an option's text)."""
    listed = [str(choice) for choice in choices] if choices else None
    option = _gold_option(gold, read_answer(gold), listed)
    return option.index if option is not None else None


def _plain(text: str) -> str:
    """An option's text as compared: its reading's canonical text when it reads, else lower-case, no spaces."""
    reading = read_answer(text)
    if reading.complete and len(reading.values) == 1:
        value = reading.values[0]
        return f"{value.kind}:{value.text}:{value.unit}"
    return "raw:" + "".join(text.split()).lower()


def _judge_option(
    values: list[Value], gold: _Option, choices: list[str] | None, gold_reading: Reading, algebra: bool
) -> Verdict | None:
    if choices is not None and gold.index >= len(choices):
        return BAD_GOLD
    count = len(choices) if choices else max(DEFAULT_OPTION_COUNT, gold.index + 1)
    gold_text = read_answer(gold.text) if gold.text is not None else None
    spelled = (gold.index, gold_text.values[0]) if gold_text is not None and gold_text.complete else None
    picked = _options_picked(values, choices, count, spelled, algebra)
    if picked is None or isinstance(picked, Verdict):
        return picked
    return CORRECT if picked == {gold.index} else WRONG


def picked_options(pred: str, choices: Sequence[str], *, algebra: bool = False) -> set[int] | str | None:
    """The options an answer names (by letter, by text, by an equal value) as the reward reads it:
    their indices (empty when it names none, or cannot be read), ``"multiple"`` when it hedges, or None when
    only computer algebra can tell."""
    reading = read_answer(pred)
    if not reading.complete:
        return set()
    listed = [str(choice) for choice in choices]
    picked = _options_picked(list(reading.values), listed, len(listed), None, algebra)
    if isinstance(picked, Verdict):
        return "multiple" if picked.reason == Reason.MULTIPLE_CANDIDATES else set()
    return picked


def _options_picked(
    values: list[Value], choices: list[str] | None, count: int, spelled: tuple[int, Value] | None, algebra: bool
) -> set[int] | Verdict | None:
    """The options the values name, or the verdict a value forces (a hedge, a letter beyond the options, a
    text that is no option), or None when only algebra can tell. ``spelled`` is the gold's own option text,
    for a gold written "C. 6\\pi" without a list of options."""
    picked: set[int] = set()
    undecided = False
    for value in values:
        index = _letter_index(value)
        if index is not None:
            if index >= count:
                return WRONG if len(values) == 1 else HEDGED  # a letter beyond the options
            if value.option and choices:  # "C. 8\pi": the text must be option C's
                named = _options_named(value.option, choices, algebra)
                if named is None:
                    undecided = True
                elif named != {index}:
                    return HEDGED
            elif any(text.kind == "word" for text in value.option):
                return Verdict(False, Reason.UNRECOGNIZED_CONTENT, _UNCHECKED_TEXT)
            if any(_letter_index(text) is not None for text in value.option):
                return HEDGED  # "(A) (C)": a letter whose "text" is another letter
            picked.add(index)
            continue
        if choices:
            named = _options_named((value,), choices, algebra)
            if named is None:
                undecided = True
                continue
            if len(named) != 1:
                return HEDGED if named else (WRONG if len(values) == 1 else HEDGED)
            picked |= named
        elif spelled is not None:  # the gold spells its option out: the answer may give that text
            verdict = _judge_value([value], spelled[1], algebra)
            if verdict is None:
                undecided = True
                continue
            if not verdict.correct:
                return WRONG if len(values) == 1 else HEDGED
            picked.add(spelled[0])
        else:
            return WRONG if len(values) == 1 else HEDGED  # not an option
    if len(picked) > 1:
        return HEDGED
    if undecided:
        return None
    return picked


_UNCHECKED_TEXT = "an option's words can be checked only against the question's options (extra_info['choices'])"


def _letter_index(value: Value) -> int | None:
    """The option a value names by its letter: ``C``, ``(C)``, ``c``."""
    if value.kind == "letter":
        return ord(value.text) - ord("A")
    written = value.text.replace(" ", "")
    bare = written.strip("()")
    if value.kind == "expression" and re.fullmatch(r"[a-z]", bare) and written in (bare, f"({bare})"):
        return ord(bare) - ord("a")
    return None


def _options_named(values: Sequence[Value], choices: list[str], algebra: bool) -> set[int] | None:
    """Which options the values are: the same reading (an equal exact value, the same words), else equal by
    math-verify; None when only algebra can tell."""
    hits: set[int] = set()
    undecided = False
    for index, choice in enumerate(choices):
        written = _option_values(index, choice)
        if len(written) != len(values):
            continue
        matches = []
        for value, option in zip(values, written, strict=True):
            if value.kind == "word" or option.kind == "word":
                matches.append(value.kind == option.kind and _same_words(value.text, option.text))
            else:
                matches.append(_same(value, option, algebra) if not _units_conflict(value.unit, option.unit) else False)
        if all(match is True for match in matches):
            hits.add(index)
        elif any(match is None for match in matches) and not any(match is False for match in matches):
            undecided = True
    if hits or not undecided:
        return hits
    return None


def _option_values(index: int, choice: str) -> tuple[Value, ...]:
    """What an option's text states; an option written with its own letter ("B. 6" as option B) states its text."""
    reading = read_answer(choice)
    if not reading.complete:
        return ()
    values = reading.values
    if len(values) == 1 and values[0].kind == "letter" and values[0].option and _letter_index(values[0]) == index:
        return values[0].option
    return values


# ------------------------------------------------------------------------------------------- words, yes/no
def _judge_yes_no(values: list[Value], wanted: str) -> Verdict:
    said = {value.text for value in values if value.kind == "yes_no"}
    if len(said) != len({(value.kind, value.text) for value in values}):
        return HEDGED if len(values) > 1 else WRONG  # a value that is no yes/no
    if len(said) > 1:
        return HEDGED
    return CORRECT if said == {wanted} else WRONG


def _words(text: str) -> str:
    return _ARTICLE.sub("", text.lower().replace("-", "").strip())


def _same_words(stated: str, wanted: str) -> bool:
    """Same words, articles and hyphens aside; one side may add one noun of the lexicon ("isosceles triangle"
    and "isosceles")."""
    stated, wanted = _words(stated), _words(wanted)
    if stated == wanted:
        return True
    longer, shorter = (stated, wanted) if len(stated) > len(wanted) else (wanted, stated)
    head, _, noun = longer.rpartition(" ")
    return head == shorter and noun in NOUN


def _judge_words(values: list[Value], gold: Value) -> Verdict:
    """Same words (see :func:`_same_words`); a label (AB) also as ``\\overline{AB}`` or ``segment AB``."""
    said = {_words(value.text) if value.kind == "word" else value.text.lower() for value in values}
    if len(said) > 1:
        return HEDGED
    stated = said.pop()
    wanted = _words(gold.text) if gold.kind == "word" else gold.text.lower()
    if _same_words(stated, wanted):
        return CORRECT
    head, _, noun = stated.rpartition(" ")
    if gold.kind == "label" and values[0].kind in ("label", "expression"):  # \overline{AB} for AB
        bare = re.sub(r"\\[A-Za-z]+|[{}\s]", "", values[0].text)
        return CORRECT if bare.lower() == wanted else WRONG
    if gold.kind == "label" and head and all(word in NOUN for word in _words(head).split()) and noun == wanted:
        return CORRECT  # "segment AB" for AB
    return WRONG


# ------------------------------------------------------------------------------------------- values
_MATH_KINDS = frozenset({"number", "expression", "relation", "tuple", "set", "ratio"})
# Kinds a number or an expression never equals (math-verify, left alone, reads "5 \cup 6" as 6).
_STRUCTURED = frozenset({"relation", "tuple", "set", "ratio", "interval"})


def _judge_value(values: list[Value], gold: Value, algebra: bool) -> Verdict | None:
    if gold.plus_minus and gold.exact is None:
        both = _plus_minus_values(gold)
        if both is not None:
            if len(values) == 1 and values[0].plus_minus:  # "\pm 2" for "\pm 2": compare the magnitudes
                mine = _plus_minus_values(values[0])
                return _judge_list(mine, both, algebra) if mine is not None else (None if not algebra else WRONG)
            return _judge_list(values, both, algebra)
    if any(value.plus_minus for value in values) and not gold.plus_minus:
        return HEDGED  # "\pm 5" states two values
    math = [value for value in values if value.kind in _MATH_KINDS]
    if len(math) < len(values):  # words, letters or yes/no for a math gold
        return WRONG if not math or len(values) == 1 else HEDGED
    if gold.kind == "tuple" and len(values) == len(gold.items) > 1 and _distinct_labels(values):
        values = [_as_tuple(values)]  # "x = 1, y = 2" for (1, 2)
    distinct = _distinct(values, algebra)
    if distinct is None:
        return None
    if isinstance(distinct, Verdict):
        return distinct
    if len(distinct) > 1:
        return HEDGED
    return _compare(distinct[0], gold, algebra)


def _plus_minus_values(gold: Value) -> list[Value] | None:
    """``\\pm 2`` as the two values it states (when the magnitude is exact)."""
    found = re.fullmatch(r"\\pm (.*)", gold.text)
    if found is None:
        return None
    reading = read_answer(found.group(1))
    if not reading.complete or len(reading.values) != 1 or reading.values[0].exact is None:
        return None
    value = reading.values[0]
    negative = Value(value.kind, f"- {value.text}", value.start, value.end, exact=exact.negate(value.exact))
    return [value, negative]


def _distinct_labels(values: list[Value]) -> bool:
    labels = [value.label for value in values]
    return all(labels) and len(set(labels)) == len(labels)


def _as_tuple(values: list[Value]) -> Value:
    text = "( " + " , ".join(value.text for value in values) + " )"
    return Value("tuple", text, values[0].start, values[-1].end, items=tuple(values), brackets="()")


def _distinct(values: list[Value], algebra: bool) -> list[Value] | Verdict | None:
    """One value per distinct value: restatements ("\\frac{3}{4} (0.75)", "x = 5 = 5.0") collapse; an
    approximation must agree with the exact value it follows ("\\sqrt{3} \\approx 1.73")."""
    kept: list[Value] = []
    for value in values:
        same = None
        for other in kept:
            equal = _same(other, value, algebra)
            if equal is None:
                return None
            if equal:
                same = other
                break
        if same is None:
            if value.approximate and kept and not _is_decimal_approximation(value):
                return WRONG
            if value.approximate and kept and value.places is not None and kept[-1].exact is not None:
                return WRONG  # "\sqrt{3} \approx 1.9": a wrong approximation
            kept.append(value)
        elif _units_conflict(same.unit, value.unit):
            return HEDGED  # one value in two units
        elif same.unit is None and value.unit is not None:
            kept[kept.index(same)] = value
    return kept


def _is_decimal_approximation(value: Value) -> bool:
    return value.places is not None


def _same(left: Value, right: Value, algebra: bool) -> bool | None:
    """Whether two stated values are one value (an approximation is the same when it rounds right)."""
    if left.kind != right.kind and {left.kind, right.kind} != {"number", "expression"}:
        return False
    if left.exact is not None and right.exact is not None:
        if _equal_exact(left, right):
            return True
        for approximate, precise in ((right, left), (left, right)):
            if approximate.approximate and approximate.places is not None:
                return exact.within_precision(float(precise.exact), float(approximate.exact), approximate.places)
        return False
    if " ".join(left.text.split()) == " ".join(right.text.split()):
        return True
    if left.kind not in ("number", "expression") or right.kind not in ("number", "expression"):
        return False
    if _comparable_samples(left, right):
        return left.samples == right.samples
    if not algebra:
        return None
    from vision_r1_plugins.answers.equivalence import equivalent, numeric_value

    for approximate, precise in ((right, left), (left, right)):
        if approximate.approximate and approximate.places is not None and approximate.exact is not None:
            number = numeric_value(precise.text)
            return number is not None and exact.within_precision(number, float(approximate.exact), approximate.places)
    for known, other in ((left, right), (right, left)):
        if known.exact is not None:  # an exact number and a constant expression: evaluate, no simplification
            number = numeric_value(other.text)
            if number is not None:
                return abs(number - float(known.exact)) <= 1e-12 * max(1.0, abs(number))
    return bool(equivalent(left.text, right.text))


def _comparable_samples(left: Value, right: Value) -> bool:
    """Both are rational functions of their letters, stated as exact (not approximate) values: equal exactly
    when their values at random points are (see :mod:`vision_r1_plugins.answers.samples`)."""
    return (
        left.samples is not None
        and right.samples is not None
        and not (left.approximate or right.approximate)
        and left.kind in ("number", "expression")
        and right.kind in ("number", "expression")
    )


def _equal_exact(left: Value, right: Value) -> bool:
    if left.exact == right.exact:
        return True
    return _percent_equal(left, right) or _percent_equal(right, left)


def _percent_equal(value: Value, other: Value) -> bool:
    """``50\\%`` and 0.5: a percentage on one side only."""
    if value.unit != "percent" or other.unit == "percent" or value.exact is None or other.exact is None:
        return False
    return exact.divide(value.exact, exact.Surd(exact.Fraction(100))) == other.exact


def _units_conflict(left: str | None, right: str | None) -> bool:
    """Both name a unit and they differ; counting words and percentages never conflict by themselves."""
    if left is None or right is None or GENERIC in (left, right):
        return False
    return left != right


def _compare(value: Value, gold: Value, algebra: bool) -> Verdict | None:
    if value.kind == "relation" and gold.kind != "relation":
        if gold.kind in ("tuple", "interval") and _membership(value) is not None:
            return _compare(_membership(value), gold, algebra)
        return WRONG
    if (value.kind in _STRUCTURED) != (gold.kind in _STRUCTURED):
        return WRONG  # a set, tuple or relation for a single value, or the other way round
    if _units_conflict(value.unit, gold.unit) and not (value.unit == "percent" or gold.unit == "percent"):
        return WRONG
    if value.approximate and gold.places is None:
        return WRONG  # "\approx 5" for an exact gold
    if value.exact is not None and gold.exact is not None:
        if _equal_exact(value, gold):
            return CORRECT
        # Tolerance only for a rounded decimal gold, and only for an answer that is not itself a decimal as
        # written, nor a fraction that is one (1734/1000): an exact form such as \sqrt{3} or 1/3 against 1.73 or
        # 0.33, or a value stated as approximate.
        tolerated = (value.places is None and not _terminates(value.exact)) or value.approximate
        close = exact.within_precision(float(value.exact), float(gold.exact), gold.places or 0)
        return CORRECT if gold.places and tolerated and close else WRONG
    if value.kind == "ratio" or gold.kind == "ratio":
        both = value.kind == gold.kind and value.exact is not None and gold.exact is not None
        return CORRECT if both and value.exact == gold.exact else WRONG
    if value.kind in ("tuple", "set") and gold.kind in ("tuple", "set") and value.items and gold.items:
        decided = _compare_items(value, gold)
        if decided is not None:
            return decided
    if _comparable_samples(value, gold):
        return CORRECT if value.samples == gold.samples else WRONG
    if not algebra:
        return None
    from vision_r1_plugins.answers.equivalence import equivalent, numeric_value, read_math

    if gold.places and gold.exact is not None and (value.places is None or value.approximate):
        number = numeric_value(value.text)
        if number is not None:
            return CORRECT if exact.within_precision(number, float(gold.exact), gold.places) else WRONG
    if value.exact is not None and value.places is not None and gold.exact is None:
        # A decimal as written against an exact gold (\pi, \sqrt{2}+1): equal only if exactly equal, never
        # after math-verify's rounding to 6 decimals.
        number, gold_number = float(value.exact), numeric_value(gold.text)
        if gold_number is not None:
            return CORRECT if abs(number - gold_number) <= 1e-12 * max(1.0, abs(gold_number)) else WRONG
    result = equivalent(gold.text, value.text)
    if result is None:
        return BAD_GOLD
    if result:
        return CORRECT
    return WRONG if read_math(value.text) else UNPARSABLE


def _terminates(value: exact.Surd) -> bool:
    """A rational whose decimal expansion ends (its denominator has no prime factors but 2 and 5)."""
    if value.radicand != 1:
        return False
    denominator = value.coefficient.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


def _compare_items(value: Value, gold: Value) -> Verdict | None:
    """Tuples and sets of exact numbers, compared element by element (sets in any order)."""
    if value.kind != gold.kind or len(value.items) != len(gold.items):
        return WRONG  # a set is no tuple, and sizes differ
    if any(item.exact is None for item in (*value.items, *gold.items)):
        return None
    if value.brackets != gold.brackets and value.kind == "tuple":
        return WRONG
    mine, theirs = [item.exact for item in value.items], [item.exact for item in gold.items]
    if value.kind == "set":
        return CORRECT if set(mine) == set(theirs) else WRONG
    return CORRECT if mine == theirs else WRONG


def _membership(value: Value) -> Value | None:
    """``x \\in [0, 1)`` for an interval gold: the interval."""
    found = re.fullmatch(r"[A-Za-z] \\in (.*)", value.text)
    if found is None:
        return None
    reading = read_answer(found.group(1))
    return reading.values[0] if reading.complete and len(reading.values) == 1 else None


def _judge_list(values: list[Value], golds: list[Value], algebra: bool, *, ordered: bool = False) -> Verdict | None:
    """A gold of several values ("1, 2, 3", "x = 1, y = 2"): the answer states each of them, in any order; a
    bracketed list ("[2, 3, 5]") in its order."""
    if ordered:
        if len(values) != len(golds):
            return WRONG
        verdicts = [_compare(value, gold, algebra) for value, gold in zip(values, golds, strict=True)]
        if any(verdict is not None and not verdict.correct for verdict in verdicts):
            return WRONG
        return None if None in verdicts else CORRECT
    distinct = _distinct(values, algebra)
    if distinct is None or isinstance(distinct, Verdict):
        return distinct
    if len(distinct) > len(golds):
        return HEDGED
    if len(distinct) < len(golds):
        return WRONG
    unmatched = list(golds)
    for value in distinct:
        for gold in unmatched:
            verdict = _compare(value, gold, algebra)
            if verdict is None:
                return None
            if verdict.correct:
                unmatched.remove(gold)
                break
        else:
            return WRONG
    return CORRECT


def _judge_raw(values: list[Value], gold: str, algebra: bool) -> Verdict | None:
    """A gold the reader cannot read (unusual LaTeX): one value, compared by math-verify."""
    distinct = _distinct(values, algebra)
    if distinct is None or isinstance(distinct, Verdict):
        return distinct
    if len(distinct) > 1:
        return HEDGED
    if not algebra:
        return None
    from vision_r1_plugins.answers.equivalence import equivalent, read_math

    result = equivalent(gold, distinct[0].text, raw_gold=True)
    if result is None:
        return BAD_GOLD
    return CORRECT if result else (WRONG if read_math(distinct[0].text) else UNPARSABLE)
