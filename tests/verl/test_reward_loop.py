"""Our reward inside verl 0.9.1's own reward loop, on CPU.

The config is composed from verl's Hydra files, the reward function is loaded by verl from ``pkg://``, and a
trainer-shaped ``DataProto`` goes through ``RewardLoopWorker`` and ``RewardLoopManager.compute_rm_score``
unchanged. In-process tests replace only Ray's ``get``/``remote`` hop; one test runs real Ray actors.
"""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import torch

verl = pytest.importorskip("verl")
from verl import DataProto  # noqa: E402

# The real verl reward loop (verl imports take seconds): part of `make test`, not of `make test-fast`.
pytestmark = pytest.mark.slow

# A data source verl does not know: if our function were ignored, verl's default reward would raise.
UNKNOWN_SOURCE = "vision_r1/geo"
# A data source verl does know: a silent fallback would score it with the soft geometry3k reward.
KNOWN_SOURCE = "hiyouga/geometry3k"

SAMPLES = [
    ("What is 2 + 3?", "5", "<think>\n2 + 3 = 5\n</think>\n<answer> Final Answer: 5 </answer>"),
    ("What is 2 + 3?", "5", "<think>\nso 2 + 3 = 6\n</think>\n<answer>6</answer>"),
    ("Which option?", "C", "The answer is \\boxed{C}"),
    ("Half of one?", "\\frac{1}{2}", "<think>\nhalf\n</think>\n<answer>0.5</answer>"),
]
HARD_SCORES = [1.0, 0.0, 0.0, 1.0]
HARD_REASONS = ["ok", "wrong_answer", "no_think", "ok"]
# mode=sum: format + accuracy; sample 3 fails the format but its boxed answer is right.
SUM_SCORES = [2.0, 1.0, 1.0, 2.0]


def compose(overrides: list[str]):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    config_dir = str(Path(verl.__file__).parent / "trainer" / "config")
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=config_dir, version_base=None):
        return hydra_compose(config_name="ppo_trainer", overrides=overrides)


def build_batch(
    tokenizer, data_source: str, none_extra_info: bool = False, prompt_length: int = 32, response_length: int = 48
) -> tuple:
    """A batch shaped like the trainer's after rollout: left-padded prompts, right-padded responses + EOS.

    ``none_extra_info`` leaves the last row's extra_info None: our manager copes, verl's naive one crashes."""
    size = len(SAMPLES)
    prompts = torch.full((size, prompt_length), tokenizer.pad_token_id, dtype=torch.long)
    responses = torch.full((size, response_length), tokenizer.pad_token_id, dtype=torch.long)
    prompt_mask = torch.zeros_like(prompts)
    response_mask = torch.zeros_like(responses)
    valid_lengths = []
    for row, (question, _, response) in enumerate(SAMPLES):
        prompt_ids = tokenizer.apply_chat_template(
            [{"role": "user", "content": question}], add_generation_prompt=True, tokenize=True
        )
        if isinstance(prompt_ids, dict) or hasattr(prompt_ids, "input_ids"):
            prompt_ids = prompt_ids["input_ids"]
        prompt_ids = list(prompt_ids)[-prompt_length:]
        response_ids = [*tokenizer.encode(response, add_special_tokens=False), tokenizer.eos_token_id]
        assert len(response_ids) <= response_length
        prompts[row, prompt_length - len(prompt_ids) :] = torch.tensor(prompt_ids)
        prompt_mask[row, prompt_length - len(prompt_ids) :] = 1
        responses[row, : len(response_ids)] = torch.tensor(response_ids)
        response_mask[row, : len(response_ids)] = 1
        valid_lengths.append(len(response_ids))
    attention_mask = torch.cat([prompt_mask, response_mask], dim=1)
    non_tensors = {
        "data_source": np.array([data_source] * size, dtype=object),
        "reward_model": np.array([{"style": "rule", "ground_truth": gold} for _, gold, _ in SAMPLES], dtype=object),
        "extra_info": np.array(
            [{"split": "train", "index": i} for i in range(size - 1)]
            + [None if none_extra_info else {"split": "train", "index": size - 1}],
            dtype=object,
        ),
        "uid": np.array([f"uid{i // 2}" for i in range(size)], dtype=object),
    }
    batch = DataProto.from_dict(
        tensors={
            "prompts": prompts,
            "responses": responses,
            "response_mask": response_mask,
            "input_ids": torch.cat([prompts, responses], dim=1),
            "attention_mask": attention_mask,
            "position_ids": (attention_mask.cumsum(-1) - 1).clamp(min=0),
        },
        non_tensors=non_tensors,
    )
    return batch, valid_lengths


class _InlineActor:
    """Calls the real worker method where Ray would ship it to an actor."""

    def __init__(self, worker) -> None:
        self.compute_score_batch = self
        self.worker = worker

    def remote(self, chunk):
        return self.worker.loop.run_until_complete(self.worker.compute_score_batch(chunk))


def score_in_process(config, batch):
    from verl.experimental.reward_loop import reward_loop
    from verl.trainer.ppo.reward import extract_reward, resolve_reward_manager_cls

    worker = reward_loop.RewardLoopWorker(config)  # the actor class's own __init__: tokenizer + manager + fn
    manager = object.__new__(reward_loop.RewardLoopManager)
    manager.config, manager.reward_model_manager = config, None
    manager.reward_manager_cls = resolve_reward_manager_cls(config)
    manager.reward_loop_workers = [_InlineActor(worker)]
    with mock.patch.object(reward_loop.ray, "get", side_effect=lambda refs: refs):
        output = reward_loop.RewardLoopManager.compute_rm_score(manager, batch)
    reward_tensor, extra = extract_reward(output)
    return worker.reward_manager, reward_tensor, extra


def assert_scores(reward_tensor: torch.Tensor, valid_lengths: list[int], expected: list[float]) -> None:
    # Each row's reward sits on its last valid response token and nowhere else.
    for row, length in enumerate(valid_lengths):
        nonzero = torch.nonzero(reward_tensor[row]).flatten().tolist()
        assert reward_tensor[row].sum().item() == expected[row]
        assert nonzero in ([], [length - 1])
        if expected[row]:
            assert nonzero == [length - 1]


@pytest.fixture(scope="module")
def tokenizer(tiny_tokenizer_dir: Path):
    from verl.utils import hf_tokenizer

    return hf_tokenizer(str(tiny_tokenizer_dir))


def base_overrides(tokenizer_dir: Path) -> list[str]:
    return [f"actor_rollout_ref.model.path={tokenizer_dir}", "reward.num_workers=2"]


VISION_R1_MANAGER = ["reward.reward_manager.source=register", "reward.reward_manager.name=vision_r1"]
LEGACY_KEYS = [
    "custom_reward_function.path=pkg://vision_r1_plugins.reward",
    "custom_reward_function.name=compute_score",
]
PKG = [
    "reward.custom_reward_function.path=pkg://vision_r1_plugins.reward",
    "reward.custom_reward_function.name=compute_score",
]


def test_pkg_reward_function_through_the_reward_loop(tokenizer, tiny_tokenizer_dir: Path) -> None:
    config = compose(base_overrides(tiny_tokenizer_dir) + PKG)
    batch, lengths = build_batch(tokenizer, UNKNOWN_SOURCE)
    manager, reward_tensor, extra = score_in_process(config, batch)
    assert type(manager).__name__ == "NaiveRewardManager"
    assert_scores(reward_tensor, lengths, HARD_SCORES)
    assert extra["reason"].tolist() == HARD_REASONS
    assert extra["format_ok"].tolist() == [True, True, False, True]
    assert extra["pred"].tolist()[:2] == ["5", "6"]


def test_reward_kwargs_reach_the_function(tokenizer, tiny_tokenizer_dir: Path) -> None:
    config = compose(
        base_overrides(tiny_tokenizer_dir) + PKG + ["+reward.custom_reward_function.reward_kwargs.mode=sum"]
    )
    batch, lengths = build_batch(tokenizer, UNKNOWN_SOURCE)
    _, reward_tensor, _ = score_in_process(config, batch)
    assert_scores(reward_tensor, lengths, SUM_SCORES)


def test_misspelt_reward_kwarg_fails_loudly(tokenizer, tiny_tokenizer_dir: Path) -> None:
    config = compose(
        [*base_overrides(tiny_tokenizer_dir), *PKG, "+reward.custom_reward_function.reward_kwargs.moed=sum"]
    )
    batch, _ = build_batch(tokenizer, UNKNOWN_SOURCE)
    with pytest.raises(ValueError, match="unknown vision_r1 reward option"):
        score_in_process(config, batch)


def test_sandbox_partial_of_the_default_reward_counts_as_unset() -> None:
    import functools

    from verl.utils.reward_score import default_compute_score

    from vision_r1_plugins.verl.reward_manager import is_verl_default

    assert is_verl_default(None) and is_verl_default(default_compute_score)
    assert is_verl_default(functools.partial(default_compute_score, sandbox_fusion_url="http://127.0.0.1:1"))
    from vision_r1_plugins.reward import compute_score

    assert not is_verl_default(functools.partial(compute_score, mode="sum"))  # verl's wrap of ours


def test_vision_r1_manager_needs_no_function_path(tokenizer, tiny_tokenizer_dir: Path) -> None:
    # Without a function path verl hands managers its default_compute_score, which would score geometry3k
    # rows with its soft 0.9/0.1 reward. The vision_r1 manager must score them with ours.
    config = compose(
        [
            *base_overrides(tiny_tokenizer_dir),
            "reward.reward_manager.source=register",
            "reward.reward_manager.name=vision_r1",
        ]
    )
    batch, lengths = build_batch(tokenizer, KNOWN_SOURCE, none_extra_info=True)
    manager, reward_tensor, extra = score_in_process(config, batch)
    assert type(manager).__name__ == "VisionR1RewardManager"
    assert_scores(reward_tensor, lengths, HARD_SCORES)
    assert extra["reason"].tolist() == HARD_REASONS


def test_vision_r1_manager_reads_reward_kwargs_and_rejects_typos(tokenizer, tiny_tokenizer_dir: Path) -> None:
    manager_overrides = VISION_R1_MANAGER
    config = compose(
        base_overrides(tiny_tokenizer_dir)
        + manager_overrides
        + ["+reward.custom_reward_function.reward_kwargs.mode=sum"]
    )
    batch, lengths = build_batch(tokenizer, KNOWN_SOURCE)
    _, reward_tensor, _ = score_in_process(config, batch)
    assert_scores(reward_tensor, lengths, SUM_SCORES)
    typo = compose(
        base_overrides(tiny_tokenizer_dir)
        + manager_overrides
        + ["+reward.custom_reward_function.reward_kwargs.moed=sum"]
    )
    with pytest.raises(ValueError, match="unknown vision_r1 reward option"):
        score_in_process(typo, batch)


def test_legacy_top_level_key_is_ignored_by_verl(tokenizer, tiny_tokenizer_dir: Path) -> None:
    # Why our docs use reward.custom_reward_function: verl 0.9.1 parses the old key and ignores it.
    config = compose([*base_overrides(tiny_tokenizer_dir), *LEGACY_KEYS])
    assert config.custom_reward_function.path == "pkg://vision_r1_plugins.reward"  # parsed...
    batch, _ = build_batch(tokenizer, UNKNOWN_SOURCE)
    with pytest.raises(NotImplementedError):  # ...but verl falls back to its default reward
        score_in_process(config, batch)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_vision_r1_manager_in_ray_actors(tokenizer, tiny_tokenizer_dir: Path) -> None:
    """Real Ray actors: the entry point must register the manager inside every worker process."""
    import ray
    from verl.experimental.reward_loop import RewardLoopManager
    from verl.trainer.ppo.reward import extract_reward

    config = compose(
        [
            *base_overrides(tiny_tokenizer_dir),
            "reward.reward_manager.source=register",
            "reward.reward_manager.name=vision_r1",
        ]
    )
    batch, lengths = build_batch(tokenizer, KNOWN_SOURCE, none_extra_info=True)
    env = {key: os.environ[key] for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "TOKENIZERS_PARALLELISM")}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": env})
    try:
        manager = RewardLoopManager(config)
        try:
            reward_tensor, extra = extract_reward(manager.compute_rm_score(batch))
            single = ray.get(manager.reward_loop_worker_handles[0].compute_score.remote(batch[0:1]))
        finally:
            for worker in manager.reward_loop_workers:
                ray.kill(worker)
    finally:
        ray.shutdown()
    assert_scores(reward_tensor, lengths, HARD_SCORES)
    assert extra["reason"].tolist() == HARD_REASONS
    assert single["reward_score"] == 1.0 and single["reward_extra_info"]["reason"] == "ok"
