"""Multiple choice: which option a gold names, and which option(s) a prediction picks.

A prediction picks one option when it names exactly one letter (``C``, ``(C)``, ``C.``, ``C: 6\\pi``,
``Option C``, ``The answer is C.``) or gives one option's text. Naming a second letter anywhere (``A C``,
``A (possibly C)``, ``C. Actually B.``, ``A.B.C.D.``) or a letter with another option's text is a hedge.
Inputs are answers already cleaned by :func:`~vision_r1_plugins.reward.answer.clean_answer`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

from vision_r1_plugins.reward.answer import clean_answer, unwrap_text_commands
from vision_r1_plugins.reward.candidates import split_candidates

MULTIPLE = "multiple"
# Without a list of options, letters up to E (or the gold's letter) can be options; later capitals are words
# ("I think").
DEFAULT_OPTION_COUNT = 5

_GOLD_CHOICE = re.compile(r"\(?([A-Z])\)?(?:[.:)]\s*(?P<text>.*))?", re.DOTALL)
# A standalone capital: not part of a word, a LaTeX command or a subscript, not a point in an equation
# ("A = 30°"), not after an angle or triangle sign.
_LETTER = re.compile(
    r"(?<![A-Za-z0-9\\_'^])(?<!\\angle )(?<!\\triangle )"
    r"(?:\((?P<paren>[A-Za-z])\)|\[(?P<bracket>[A-Z])\]|(?P<bare>[A-Za-z]))"
    r"(?![A-Za-z0-9'_^{])(?!\s*[=<>])"
)
# Words after a bare capital that show it is a word ("A right triangle", "I think"), unless they hedge.
_HEDGE_WORDS = frozenset({"or", "and", "possibly", "maybe", "perhaps", "probably", "actually", "not", "then",
                          "either", "nor", "also", "vs", "versus"})  # fmt: skip
_NEXT_WORD = re.compile(r"\s+([a-z]+)")
# Words after "A" that speak about option A rather than begin a phrase ("A is correct", "A seems right").
_ABOUT_THE_LETTER = frozenset({"is", "was", "seems", "looks", "would", "could", "might", "should", "can", "may",
                               "must", "appears", "works", "fits", "matches", "holds", "gives", "because"})  # fmt: skip
_HEDGE_BEFORE = re.compile(r"(?:[,;/|、]|(?<![A-Za-z])(?:or|and|nor|vs\.?|versus)|或|和|还是)$", re.IGNORECASE)
_HEDGE_AFTER = re.compile(r"(?:[,;/|、]|(?:or|and|nor|vs\.?|versus)(?![A-Za-z])|或|和|还是)", re.IGNORECASE)
_LETTER_THEN_TEXT = re.compile(r"\(?(?P<letter>[A-Z])[.:)：]\s*(?P<text>.+)", re.DOTALL)


def letter_index(letter: str) -> int:
    return string.ascii_uppercase.index(letter.upper())


def normalise_option_text(text: str) -> str:
    text = unwrap_text_commands(clean_answer(text))
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
        wanted = normalise_option_text(cleaned)
        hits = [index for index, option in enumerate(choices) if normalise_option_text(str(option)) == wanted]
        if len(hits) == 1:
            return hits[0], str(choices[hits[0]])
    return None


def _option_hits(text: str, choices: Sequence[str]) -> list[int]:
    wanted = normalise_option_text(text)
    if not wanted:
        return []
    return [index for index, option in enumerate(choices) if normalise_option_text(str(option)) == wanted]


def _in_hedge_context(pred: str, start: int, end: int) -> bool:
    """Whether the letter at ``start:end`` stands next to a separator or an "or"-word: ``C or d``, ``C/d``."""
    before = pred[:start].rstrip()
    after = pred[end:].lstrip()
    return bool(_HEDGE_BEFORE.search(before) or _HEDGE_AFTER.match(after))


def named_letters(pred: str, option_count: int) -> list[tuple[int, int, int]]:
    """(option index, start, end) of each letter ``pred`` names. A capital within the first ``option_count``
    options counts wherever it stands; a lower-case letter, or a capital beyond the options, only next to a
    separator or an "or"-word (``C or d``, ``C or E``: a hedge). ``A`` and ``I`` followed by a word are
    English words (``A right triangle``, ``I think``), unless the word says something about the letter."""
    whole_lower = re.fullmatch(r"\(?([a-z])\)?", pred.strip())
    if whole_lower:  # "c" or "(c)" alone
        index = letter_index(whole_lower.group(1))
        return [(index, 0, len(pred))] if index < option_count else []
    found = []
    for match in _LETTER.finditer(pred):
        letter = match.group("paren") or match.group("bracket") or match.group("bare")
        bare = match.group("bare") is not None or letter.islower()
        if bare and letter in "AIai":
            word = _NEXT_WORD.match(pred, match.end())
            if word and word.group(1) not in _HEDGE_WORDS and word.group(1) not in _ABOUT_THE_LETTER:
                continue
        index = letter_index(letter)
        in_range = index < option_count and letter.isupper()
        if in_range or match.group("paren") or _in_hedge_context(pred, match.start(), match.end()):
            found.append((index, match.start(), match.end()))
    return found


def predicted_choice(pred: str, choices: Sequence[str] | None, gold_index: int | None = None) -> int | str | None:
    """The option a prediction picks: its index, ``"multiple"`` when it hedges, or None when it names none.

    The option's full text wins over a letter reading, so an option that begins with the article "A"
    ("A right triangle") is read as that option, not as letter A. A letter followed by its own option's
    text (``B. I and II``) is that option.
    """
    if choices:
        hits = _option_hits(pred, choices)
        if len(hits) == 1:
            return hits[0]
        own = _LETTER_THEN_TEXT.fullmatch(pred)
        if own and letter_index(own.group("letter")) < len(choices):
            index = letter_index(own.group("letter"))
            if _option_hits(own.group("text"), choices) == [index]:
                return index
    option_count = len(choices) if choices else max(DEFAULT_OPTION_COUNT, (gold_index or 0) + 1)
    letters = named_letters(pred, option_count)
    distinct = {index for index, _, _ in letters}
    if len(distinct) > 1:
        return MULTIPLE
    if not distinct:
        return None
    index = distinct.pop()
    if choices:
        # "C. 8\pi" where 8\pi is option D, "C or 4\pi", "6 or C": a letter and another option's text.
        remainder = _LETTER.sub(" , ", pred)
        for candidate in split_candidates(remainder):
            if any(hit != index for hit in _option_hits(candidate.lstrip(".:)： "), choices)):
                return MULTIPLE
    return index
