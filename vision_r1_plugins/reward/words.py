"""Word answers (``Yes``, ``isosceles``): compared as text, case-insensitive, with yes/no read from a
sentence that starts with it ("Yes, it is.")."""

from __future__ import annotations

import re

from vision_r1_plugins.reward.answer import CORRECT, DOUBT, HEDGED, WRONG, Verdict, clean_answer, unwrap_text_commands
from vision_r1_plugins.reward.candidates import split_candidates
from vision_r1_plugins.reward.choice import normalise_option_text

_WORD = re.compile(r"[A-Za-z][A-Za-z' \-]*[A-Za-z]|[\u4e00-\u9fff][\u4e00-\u9fffA-Za-z]*")
_MATH_WORDS = frozenset({"pi", "inf", "infinity", "oo", "sqrt", "frac", "e"})
_YES_NO = {"yes": "yes", "no": "no", "true": "yes", "false": "no", "yeah": "yes", "yep": "yes", "nope": "no",
           "是": "yes", "否": "no", "对": "yes", "不对": "no", "不是": "no", "正确": "yes", "错误": "no", "错": "no",
           "是的": "yes"}  # fmt: skip
_YES_NO_WORDS = r"(?:yes|no|true|false|yeah|yep|nope)(?![A-Za-z])|不是|不对|是的|是|否|对|正确|错误|错"
_LEADING_YES_NO = re.compile(rf"(?P<word>{_YES_NO_WORDS})(?P<rest>.*)", re.IGNORECASE | re.DOTALL)
_OTHER_YES_NO = re.compile(rf"(?<![A-Za-z])(?:{_YES_NO_WORDS})", re.IGNORECASE)
_NUMBER_WORDS = {word: str(index) for index, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}  # fmt: skip
_ARTICLE = re.compile(r"^(?:a|an|the)\s+", re.IGNORECASE)
# "The triangle is isosceles": a sentence that ends in the word answer.
_STATED_WORD = re.compile(r"(?:.{0,80}\s)?(?:is|are|it's|that's)\s+(?:an?\s+|the\s+)?(?P<word>[A-Za-z][A-Za-z' \-]*)",
                          re.IGNORECASE | re.DOTALL)  # fmt: skip


def is_word_answer(gold: str) -> bool:
    cleaned = unwrap_text_commands(clean_answer(gold)).strip()
    return bool(_WORD.fullmatch(cleaned)) and cleaned.lower() not in _MATH_WORDS


def number_word(text: str) -> str | None:
    """``two`` -> ``2`` (zero to twenty); None for anything else."""
    return _NUMBER_WORDS.get(text.strip().lower())


def _words(text: str) -> str:
    """A word answer as compared: no article, no hyphens (``a counter-clockwise`` = ``counterclockwise``)."""
    return normalise_option_text(_ARTICLE.sub("", text.strip())).replace("-", "")


def _yes_no(text: str) -> str | None:
    return _YES_NO.get(text.strip().lower())


def judge_words(pred: str, gold: str) -> Verdict:
    gold_yes_no = _yes_no(clean_answer(gold))
    if gold_yes_no is not None:
        match = _LEADING_YES_NO.fullmatch(pred.strip())
        if match is None:
            return HEDGED if len(set(map(normalise_option_text, split_candidates(pred)))) > 1 else WRONG
        said = _YES_NO[match.group("word").lower()]
        rest = match.group("rest")
        if any(_YES_NO[other.lower()] != said for other in _OTHER_YES_NO.findall(rest)):
            return HEDGED  # "Yes or no", "True/False", "是或否"
        return CORRECT if said == gold_yes_no else WRONG
    if number_word(gold) is not None:  # gold "two": "2" and "two" are both the number
        return CORRECT if (number_word(pred) or pred.strip()) == number_word(gold) else WRONG
    distinct = {_words(candidate) for candidate in split_candidates(pred)}
    if len(distinct) > len(split_candidates(gold)):
        return HEDGED
    wanted = _words(gold)
    if _words(pred) == wanted:
        return CORRECT
    stated = _STATED_WORD.fullmatch(pred.strip())
    if stated is None or DOUBT.search(pred[: stated.start("word")]):  # "I am not sure whether it is ..."
        return WRONG
    return CORRECT if _words(stated.group("word")) == wanted else WRONG
