"""verl integration: RL data in verl's parquet layout, the reward manager and the CPU settings.

- :func:`convert_rl_data`: problems (JSONL, JSON or parquet: image(s), question, answer) to verl's RL parquet,
  each prompt measured with the policy's processor; rows verl would drop or crash on go to ``OUT.rejects.jsonl``.

>>> from vision_r1_plugins.verl import RLDataConfig, convert_rl_data
>>> config = RLDataConfig("data/samples/problems/problems.jsonl", "out/rl", model="Qwen/Qwen2.5-VL-7B-Instruct")
>>> report = convert_rl_data(config)  # doctest: +SKIP
>>> report.kept, report.outputs["train"]  # doctest: +SKIP
(36, PosixPath('out/rl.parquet'))

The reward itself is :mod:`vision_r1_plugins.reward` (``reward.custom_reward_function.path=pkg://vision_r1_plugins.reward``).
Importing this package does not import verl, Ray or torch.
"""

from vision_r1_plugins.verl.rl_data import R1_SYSTEM_PROMPT, RLDataConfig, RLDataReport, convert_rl_data

__all__ = ["R1_SYSTEM_PROMPT", "RLDataConfig", "RLDataReport", "convert_rl_data"]
