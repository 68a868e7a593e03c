"""Whether two rows' gold answers contradict: what keeps a shared figure from counting as an overlap.

Perceptual hashes cannot tell a template figure from another that differs only in a small label ("r = 3" against
"r = 8"), and a figure is often reused by problems that ask something else of it. Both rows usually carry a gold
answer, so an image match counts only when the answers do not contradict. Answers are compared with the reward's
own equivalence (:func:`vision_r1_plugins.reward.score`), in both directions (the reward reads its gold side more
leniently than its response side: ``9\\pi`` states the gold ``28.27``, not the other way round), with the options
of a multiple-choice row so that a letter and its option's text agree.

Only a definite ``wrong_answer`` verdict in every direction is a contradiction. A missing answer, one the reward
cannot read (a bad ground truth, an unparsable answer, a verifier timeout) leaves the match standing: a leaked figure
without a readable answer is still reported.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vision_r1_plugins.answers.judge import gold_option_index
from vision_r1_plugins.answers.reasons import Reason

__all__ = ["RowAnswer", "answers_contradict", "row_answer"]

_THINK = "<think>\n.\n</think>\n<answer> Final Answer: "
_CLOSE = " </answer>"


@dataclass(frozen=True)
class RowAnswer:
    """A row's gold answer(s) (several where a benchmark lists more than one, MM-Math's boxes) and its options."""

    texts: tuple[str, ...]
    choices: tuple[str, ...] | None = None

    def describe(self) -> str:
        """The answer as written in ``image_other_answer.jsonl``."""
        return " | ".join(self.texts)


def row_answer(value: Any, choices: Sequence[Any] | None = None, more: Sequence[Any] = ()) -> RowAnswer | None:
    """A row's answer from its raw value (text or number), its options, and any further gold answers; None when
    there is none (missing, empty, a bool or a nested value, which no column of ours holds as an answer)."""
    texts = tuple(dict.fromkeys(text for item in (value, *more) if (text := _text(item)) is not None))
    if not texts:
        return None
    options = tuple(str(option) for option in choices) if choices else None
    return RowAnswer(texts, options or None)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool | dict | list | tuple | bytes):
        return None
    text = str(value).strip()
    return text or None


def answers_contradict(first: RowAnswer | None, second: RowAnswer | None) -> bool:
    """True only when both rows have an answer and the reward judges them different every way round."""
    if first is None or second is None:
        return False
    return all(
        _verdict(a, first.choices, b, second.choices) is Reason.WRONG_ANSWER
        and _verdict(b, second.choices, a, first.choices) is Reason.WRONG_ANSWER
        for a in first.texts
        for b in second.texts
    )


@functools.lru_cache(maxsize=65536)
def _verdict(
    stated: str, stated_choices: tuple[str, ...] | None, gold: str, gold_choices: tuple[str, ...] | None
) -> Reason | None:
    """The reward's reason for ``stated`` as a response to ``gold`` (None: not a reason it names). A stated letter
    is replaced by its option's text first: the gold side's options are another list, in another order."""
    from vision_r1_plugins.reward import score

    if stated_choices:
        picked = gold_option_index(stated, stated_choices)
        stated = stated_choices[picked] if picked is not None else stated
    extra = {"choices": list(gold_choices)} if gold_choices else None
    result = score(_THINK + stated + _CLOSE, gold, extra)
    if result["answer_ok"]:
        return Reason.OK
    try:
        return Reason(result["reason"])
    except ValueError:
        return None
