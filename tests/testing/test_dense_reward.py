from __future__ import annotations

import math

from vision_r1_plugins.reward import compute_score
from vision_r1_plugins.testing.dense_reward import DENSE_WEIGHT
from vision_r1_plugins.testing.dense_reward import compute_score as dense_compute_score


def test_dense_term_separates_responses_and_keeps_our_result() -> None:
    right = "<think>3+4</think><answer>7</answer>"
    texts = [right, "<answer>8</answer>", "no tags at all", "no tags at all!"]
    results = [dense_compute_score("vision_r1", text, "7") for text in texts]
    assert len({result["score"] for result in results}) == len(texts)  # no ties between different responses
    for text, result in zip(texts, results, strict=True):
        hard = compute_score("vision_r1", text, "7")
        assert result["reason"] == hard["reason"]
        assert math.isclose(result["score"] - hard["score"], result["dense_term"])
        assert 0 <= result["dense_term"] < DENSE_WEIGHT
    assert dense_compute_score("vision_r1", right, "7") == results[0]  # deterministic
