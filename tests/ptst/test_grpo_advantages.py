"""GRPO advantages from verl's core_algos on rewards from our reward, for PTST's group sizes 16 and 8."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("verl")

from vision_r1_plugins.reward import compute_score

RIGHT = "<think>\n3 + 4 = 7\n</think>\n<answer> Final Answer: 7 </answer>"
WRONG = "<think>\n3 + 4 = 8\n</think>\n<answer> Final Answer: 8 </answer>"
NO_FORMAT = "The answer is 7."


@pytest.mark.parametrize(("group_size", "right"), [(16, 4), (8, 3), (8, 1)])
def test_group_normalised_advantages(group_size: int, right: int) -> None:
    from verl.trainer.ppo.core_algos import compute_grpo_outcome_advantage

    # Group A: `right` correct answers, the rest wrong or badly formatted. Group B: all correct (no signal).
    responses_a = (
        [RIGHT] * right + [WRONG, NO_FORMAT] * ((group_size - right) // 2) + [WRONG] * ((group_size - right) % 2)
    )
    responses = responses_a + [RIGHT] * group_size
    scores = [compute_score("vision_r1", text, "7")["score"] for text in responses]
    assert sum(scores[:group_size]) == right and all(scores[group_size:])

    length = 6
    lengths = [3 + i % 4 for i in range(len(responses))]  # ragged responses: the reward sits on the last token
    mask = torch.zeros(len(responses), length)
    rewards = torch.zeros(len(responses), length)
    for row, (valid, score) in enumerate(zip(lengths, scores, strict=True)):
        mask[row, :valid] = 1
        rewards[row, valid - 1] = score
    uid = np.array(["a"] * group_size + ["b"] * group_size, dtype=object)
    advantages, returns = compute_grpo_outcome_advantage(rewards, mask, uid)

    share = right / group_size
    std = np.sqrt(group_size / (group_size - 1) * share * (1 - share))  # verl uses the unbiased std
    expected_right, expected_wrong = (1 - share) / (std + 1e-6), -share / (std + 1e-6)
    for row, score in enumerate(scores[:group_size]):
        expected = expected_right if score == 1.0 else expected_wrong
        assert torch.allclose(advantages[row, : lengths[row]], torch.full((lengths[row],), expected), atol=1e-4)
        assert torch.all(advantages[row, lengths[row] :] == 0)
    assert torch.all(advantages[group_size:] == 0)  # an all-correct group teaches nothing
    assert torch.equal(advantages, returns)
