"""Vision-R1's hard format-and-answer reward, usable from verl, TRL, EasyR1 or plain Python.

>>> from vision_r1_plugins.reward import compute_score
>>> compute_score("geo", "<think>3+4=7</think><answer>7</answer>", "7")["score"]
1.0

Importing this package needs only math-verify (and it imports even that lazily, in worker processes).
"""

from vision_r1_plugins.reward.options import RewardOptions
from vision_r1_plugins.reward.pool import VerifierUnavailable, shutdown_pool
from vision_r1_plugins.reward.response_format import ParsedResponse, parse_response
from vision_r1_plugins.reward.score import compute_score

__all__ = [
    "ParsedResponse",
    "RewardOptions",
    "VerifierUnavailable",
    "compute_score",
    "parse_response",
    "shutdown_pool",
]
