"""Reading answers: the one reader that the reward, evaluation and ``vision-r1 infer`` share.

>>> from vision_r1_plugins.answers import read_answer
>>> [value.text for value in read_answer("The answer is $\\\\boxed{12}$ cm.").values]
['12']

:func:`find_answer` locates the final answer in a whole response; :func:`read_answer` reads an answer into
values and accounts for every part of its text (grammar.lark is the language it accepts); :func:`judge`
decides whether an answer states a ground truth, with computer algebra in killable worker processes.
"""

from vision_r1_plugins.answers.judge import Verdict
from vision_r1_plugins.answers.locate import Found, find_answer, stated_answer
from vision_r1_plugins.answers.parse import plain_answer, read_answer
from vision_r1_plugins.answers.reading import Reading, Span, Value
from vision_r1_plugins.answers.reasons import Reason
from vision_r1_plugins.answers.verify import judge

__all__ = [
    "Found",
    "Reading",
    "Reason",
    "Span",
    "Value",
    "Verdict",
    "find_answer",
    "judge",
    "plain_answer",
    "read_answer",
    "stated_answer",
]
