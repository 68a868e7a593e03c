"""Decide whether a final answer matches the ground truth.

``judge_answer(..., algebra=False)`` decides everything that plain text can decide (multiple choice, word
answers, hedges, identical strings) in microseconds and returns None when computer algebra is needed;
``algebra=True`` (used inside worker processes) finishes the job with math-verify.
"""

from __future__ import annotations

from collections.abc import Sequence

from vision_r1_plugins.reward.answer import (
    BAD_GOLD,
    CORRECT,
    HEDGED,
    WRONG,
    Verdict,
    clean_answer,
    count_candidates,
    gold_choice,
    is_word_answer,
    judge_numbers,
    judge_words,
    predicted_choice,
)
from vision_r1_plugins.reward.reasons import Reason

UNPARSABLE = Verdict(False, Reason.UNPARSABLE_ANSWER)
EMPTY = Verdict(False, Reason.EMPTY_ANSWER)


def _same_text(left: str, right: str) -> bool:
    return " ".join(left.split()) == " ".join(right.split())


def judge_answer(
    pred: str, gold: str, choices: Sequence[str] | None = None, *, algebra: bool = False
) -> Verdict | None:
    gold_clean = clean_answer(gold)
    if not gold_clean:
        return BAD_GOLD
    pred_clean = clean_answer(pred)
    if not pred_clean:
        return EMPTY
    choices = list(choices) if choices else None

    gold_option = gold_choice(gold_clean, choices)
    if gold_option is not None:
        return _judge_choice(pred_clean, *gold_option, choices, algebra)
    if is_word_answer(gold_clean):
        return judge_words(pred_clean, gold_clean)
    if count_candidates(pred_clean) > count_candidates(gold_clean):
        return HEDGED
    # Plain numbers are decided exactly here. No text-identity shortcut for anything else: a garbage gold
    # ("???") echoed back verbatim must still score 0, and only math-verify can tell that the gold is garbage.
    numbers = judge_numbers(pred_clean, gold_clean)
    if numbers is not None:
        return numbers
    if not algebra:
        return None
    from vision_r1_plugins.reward.equivalence import equivalent

    result = equivalent(gold_clean, pred_clean)
    if result is None:
        return BAD_GOLD
    return CORRECT if result else _wrong_or_unparsable(pred_clean)


def _judge_choice(
    pred: str, gold_index: int, gold_text: str | None, choices: list[str] | None, algebra: bool
) -> Verdict | None:
    if choices is not None and gold_index >= len(choices):
        return BAD_GOLD
    picked = predicted_choice(pred, choices)
    if picked == "multiple" or (count_candidates(pred) > 1 and picked is None):
        return HEDGED
    if isinstance(picked, int):
        return CORRECT if picked == gold_index else WRONG
    # No letter: the prediction may be the option's text in another notation ("6π" for "6\pi").
    if choices is None:
        if not gold_text:
            return WRONG
        if _same_text(pred, gold_text):
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


def _wrong_or_unparsable(pred: str) -> Verdict:
    from vision_r1_plugins.reward.equivalence import parse_math

    return WRONG if parse_math(pred) else UNPARSABLE
