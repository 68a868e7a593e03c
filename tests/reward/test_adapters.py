"""The TRL and EasyR1 adapters, driven the way those frameworks drive them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from vision_r1_plugins.reward.adapters.trl import completion_text, make_trl_reward, vision_r1_reward

GOOD = "<think>3 + 4 = 7</think><answer>7</answer>"
WRONG = "<think>3 + 4</think><answer>8</answer>"
NO_THINK = "<answer>7</answer>"
BOXED_IN_ANSWER = "<think>ok</think><answer>\\boxed{7}</answer>"


def _trl_grpo_trainer():
    """Import TRL 0.24's GRPOTrainer under transformers 5.

    Two known incompatibilities of that pair, both outside our code: transformers 5's `_is_package_available`
    returns a (bool, version) tuple, which TRL's flags treat as "installed" (so it imports mergekit), and
    models no longer carry `warnings_issued`, which GRPOTrainer writes to. TRL 0.29 fixes both, but LLaMA-Factory
    0.9.5 requires trl<=0.24.0 (and imports a class 0.29 no longer has), so the tested set keeps 0.24.0.
    """
    import trl.import_utils as trl_imports

    for name, value in list(vars(trl_imports).items()):
        if name.startswith("_") and name.endswith("_available") and isinstance(value, tuple):
            setattr(trl_imports, name, value[0])
    from trl import GRPOConfig, GRPOTrainer

    return GRPOConfig, GRPOTrainer


@pytest.mark.slow
def test_trl_grpo_trainer_scores_with_our_reward(tmp_path: Path, tiny_tokenizer_dir: Path) -> None:
    from datasets import Dataset
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    grpo_config_cls, grpo_trainer_cls = _trl_grpo_trainer()
    tokenizer = AutoTokenizer.from_pretrained(tiny_tokenizer_dir)
    model = Qwen2ForCausalLM(
        Qwen2Config(
            vocab_size=len(tokenizer),
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=1,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
    )
    model.warnings_issued = {}
    rows = [{"prompt": [{"role": "user", "content": "What is 3+4?"}], "solution": "7"}] * 4
    args = grpo_config_cls(
        output_dir=str(tmp_path),
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=8,
        report_to=[],
        use_cpu=True,
        beta=0.0,
        max_steps=1,
        bf16=False,
    )
    trainer = grpo_trainer_cls(
        model=model,
        reward_funcs=[vision_r1_reward],
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
    )
    completions = [[{"role": "assistant", "content": text}] for text in (GOOD, WRONG, NO_THINK, BOXED_IN_ANSWER)]
    rewards = trainer._calculate_rewards(rows, [row["prompt"] for row in rows], completions, [[1]] * 4)
    assert rewards[:, 0].tolist() == [1.0, 0.0, 0.0, 1.0]


def test_trl_completion_shapes_and_columns() -> None:
    assert completion_text([{"role": "assistant", "content": [{"type": "text", "text": GOOD}]}]) == GOOD
    assert completion_text(GOOD) == GOOD
    # TRL passes every dataset column (and trainer_state) as keywords.
    assert vision_r1_reward(
        prompts=["q"] * 2,
        completions=[GOOD, WRONG],
        completion_ids=[[1], [2]],
        solution=["7", "7"],
        trainer_state=object(),
    ) == [1.0, 0.0]
    by_answer = make_trl_reward(ground_truth_key="answer", mode="sum")
    assert by_answer([NO_THINK, GOOD], answer=["7", "7"]) == [1.0, 2.0]
    choices = make_trl_reward()([GOOD.replace(">7<", ">B<")], ground_truth=["B"], choices=[["1", "7"]])
    assert choices == [1.0]
    with pytest.raises(KeyError, match="ground-truth column"):
        vision_r1_reward([GOOD], prompts=["q"])


def test_easyr1_batch_function_loaded_by_path_like_easyr1() -> None:
    from vision_r1_plugins.reward.adapters import easyr1

    # EasyR1 imports the reward file by path under the module name "custom_reward_fn".
    spec = importlib.util.spec_from_file_location("custom_reward_fn", easyr1.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["custom_reward_fn"] = module
    try:
        spec.loader.exec_module(module)
        inputs = [
            {"response": text, "response_length": len(text), "ground_truth": "7"} for text in (GOOD, WRONG, NO_THINK)
        ]
        scores = module.compute_score(inputs)
        summed = module.compute_score(inputs, mode="sum")
    finally:
        sys.modules.pop("custom_reward_fn", None)
    assert scores == [
        {"overall": 1.0, "format": 1.0, "accuracy": 1.0},
        {"overall": 0.0, "format": 1.0, "accuracy": 0.0},
        {"overall": 0.0, "format": 0.0, "accuracy": 0.0},
    ]
    assert [score["overall"] for score in summed] == [2.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="reward_type=batch"):
        module.compute_score(inputs[0])
