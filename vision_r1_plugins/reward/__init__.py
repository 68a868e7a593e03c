"""Vision-R1's hard format-and-answer reward, usable from verl, TRL, EasyR1 or plain Python.

>>> from vision_r1_plugins.reward import compute_score
>>> compute_score("geo", "<think>3+4=7</think><answer>7</answer>", "7")["score"]
1.0

This module is the whole public API; everything else in the package is internal. Importing it needs only
math-verify (and it imports even that lazily, in worker processes).
"""

from vision_r1_plugins.reward.answer import Verdict, clean_answer
from vision_r1_plugins.reward.boxes import BOXED, boxed_at, last_boxed, strip_eos
from vision_r1_plugins.reward.candidates import count_candidates, split_candidates
from vision_r1_plugins.reward.choice import gold_choice, predicted_choice
from vision_r1_plugins.reward.decide import judge_answer
from vision_r1_plugins.reward.extract import METHODS as EXTRACT_METHODS
from vision_r1_plugins.reward.extract import extract_answer, lenient_answer, stated_answer
from vision_r1_plugins.reward.numbers import exact_value
from vision_r1_plugins.reward.options import RewardOptions
from vision_r1_plugins.reward.pool import VerifierUnavailable, shutdown_pool
from vision_r1_plugins.reward.reasons import FORMAT_REASONS, Reason
from vision_r1_plugins.reward.response_format import ParsedResponse, parse_response
from vision_r1_plugins.reward.scorer import compute_score, judge, options_from_kwargs, score, score_many
from vision_r1_plugins.reward.tags import ANSWER_CLOSE, ANSWER_OPEN
from vision_r1_plugins.reward.words import number_word

__all__ = [
    "ANSWER_CLOSE",
    "ANSWER_OPEN",
    "BOXED",
    "EXTRACT_METHODS",
    "FORMAT_REASONS",
    "ParsedResponse",
    "Reason",
    "RewardOptions",
    "Verdict",
    "VerifierUnavailable",
    "boxed_at",
    "clean_answer",
    "compute_score",
    "count_candidates",
    "exact_value",
    "extract_answer",
    "gold_choice",
    "judge",
    "judge_answer",
    "last_boxed",
    "lenient_answer",
    "number_word",
    "options_from_kwargs",
    "parse_response",
    "predicted_choice",
    "score",
    "score_many",
    "shutdown_pool",
    "split_candidates",
    "stated_answer",
    "strip_eos",
]
