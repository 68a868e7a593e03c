"""Every reason a response can get, in one place. Values are the strings results carry in ``reason``."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a response scored what it did (the reward's ``reason`` field): ``ok``, a format failure or an answer
    verdict.

    >>> Reason("no_think") is Reason.NO_THINK
    True
    """

    OK = "ok"
    # format
    EMPTY = "empty"
    NO_THINK = "no_think"
    TWO_THINK = "two_think"
    EMPTY_THINK = "empty_think"
    TEXT_BEFORE_THINK = "text_before_think"
    NO_ANSWER = "no_answer"
    TWO_ANSWERS = "two_answers"
    EMPTY_ANSWER = "empty_answer"
    TEXT_BETWEEN = "text_between"
    TEXT_AFTER_ANSWER = "text_after_answer"
    TAG_ORDER = "tag_order"
    BAD_TAG = "bad_tag"
    NO_BOXED = "no_boxed"
    MULTIPLE_BOXED = "multiple_boxed"
    ANSWER_TAG_IN_BOXED_STYLE = "answer_tag_in_boxed_style"
    # answer
    WRONG_ANSWER = "wrong_answer"
    MULTIPLE_CANDIDATES = "multiple_candidates"
    UNPARSABLE_ANSWER = "unparsable_answer"
    ANSWER_TOO_LONG = "answer_too_long"
    BAD_GROUND_TRUTH = "bad_ground_truth"
    UNRECOGNIZED_CONTENT = "unrecognized_content"  # a part of the answer no rule of the answer language covers
    # safety
    TIMEOUT = "timeout"
    VERIFIER_ERROR = "verifier_error"
    VERIFIER_BUSY = "verifier_busy"
    INTERNAL_ERROR = "internal_error"


FORMAT_REASONS = frozenset(
    {
        Reason.EMPTY,
        Reason.NO_THINK,
        Reason.TWO_THINK,
        Reason.EMPTY_THINK,
        Reason.TEXT_BEFORE_THINK,
        Reason.NO_ANSWER,
        Reason.TWO_ANSWERS,
        Reason.EMPTY_ANSWER,
        Reason.TEXT_BETWEEN,
        Reason.TEXT_AFTER_ANSWER,
        Reason.TAG_ORDER,
        Reason.BAD_TAG,
        Reason.NO_BOXED,
        Reason.MULTIPLE_BOXED,
        Reason.ANSWER_TAG_IN_BOXED_STYLE,
    }
)
