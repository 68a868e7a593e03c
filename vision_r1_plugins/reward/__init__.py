"""Vision-R1's hard format-and-answer reward, usable from verl, TRL, EasyR1 or plain Python.

>>> from vision_r1_plugins.reward import compute_score
>>> compute_score("geo", "<think>3+4=7</think><answer>7</answer>", "7")["score"]
1.0

These names are the whole public API (reading and judging answers is :mod:`vision_r1_plugins.answers`).
Importing it needs only math-verify, lark and pint (math-verify runs in worker processes).
"""

from vision_r1_plugins.answers.reasons import Reason
from vision_r1_plugins.reward.adapters import easyr1, trl
from vision_r1_plugins.reward.options import RewardOptions
from vision_r1_plugins.reward.scorer import compute_score, score, score_many

__all__ = ["Reason", "RewardOptions", "compute_score", "easyr1", "score", "score_many", "trl"]
