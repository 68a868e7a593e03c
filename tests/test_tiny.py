from __future__ import annotations

from pathlib import Path

from vision_r1_plugins.tiny import QWEN_SPECIAL_TOKENS, build_tiny_tokenizer


def test_tiny_tokenizer_reloads_offline_and_round_trips(tiny_tokenizer_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_tokenizer_dir)
    assert type(tokenizer).__name__ in ("Qwen2Tokenizer", "Qwen2TokenizerFast")
    for token in QWEN_SPECIAL_TOKENS:
        assert tokenizer.convert_tokens_to_ids(token) is not None
        assert len(tokenizer.encode(token, add_special_tokens=False)) == 1
    text = "<think>\nWait, 3 + 4 = 7. \\frac{1}{2}\n</think>\n<answer> Final Answer: 7 </answer>"
    ids = tokenizer.encode(text + "<|im_end|>", add_special_tokens=False)
    assert tokenizer.decode(ids, skip_special_tokens=True) == text
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "How many?"}]}],
        tokenize=False,
        add_generation_prompt=True,
    )
    assert "<|vision_start|><|image_pad|><|vision_end|>How many?<|im_end|>" in prompt
    assert prompt.endswith("<|im_start|>assistant\n")


def test_tiny_tokenizer_is_deterministic_per_seed(tmp_path: Path) -> None:
    first = build_tiny_tokenizer(tmp_path / "a", seed=1)
    second = build_tiny_tokenizer(tmp_path / "b", seed=1)
    other = build_tiny_tokenizer(tmp_path / "c", seed=2)
    assert (tmp_path / "a" / "tokenizer.json").read_text() == (tmp_path / "b" / "tokenizer.json").read_text()
    assert first.get_vocab() == second.get_vocab()
    assert first.get_vocab() != other.get_vocab()
