from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from vision_r1_plugins.testing.tiny import (
    QWEN2_VL_CHAT_TEMPLATE,
    QWEN_SPECIAL_TOKENS,
    build_tiny_qwen2_5_vl,
    build_tiny_tokenizer,
)


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


def _one_image_batch(processor: Any) -> Any:
    from PIL import Image

    pixels = np.random.default_rng(0).integers(0, 256, size=(80, 100, 3), dtype=np.uint8)
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is shown?"}]}]
    text = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return processor(text=[text], images=[Image.fromarray(pixels)], return_tensors="pt")


def test_tiny_qwen2_5_vl_reloads_offline_through_auto_classes(tiny_model_dir: Path) -> None:
    from transformers import (
        AutoConfig,
        AutoModelForImageTextToText,
        AutoProcessor,
        AutoTokenizer,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2VLImageProcessor,
    )

    config = AutoConfig.from_pretrained(tiny_model_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    processor = AutoProcessor.from_pretrained(tiny_model_dir)
    model = AutoModelForImageTextToText.from_pretrained(tiny_model_dir)
    assert type(config).__name__ == "Qwen2_5_VLConfig"
    assert type(processor).__name__ == "Qwen2_5_VLProcessor"
    assert type(processor.video_processor).__name__ == "Qwen2VLVideoProcessor"
    assert isinstance(model, Qwen2_5_VLForConditionalGeneration)
    assert model.dtype == torch.float32
    assert isinstance(Qwen2_5_VLForConditionalGeneration.from_pretrained(tiny_model_dir), type(model))
    assert processor.chat_template == tokenizer.chat_template == QWEN2_VL_CHAT_TEMPLATE
    assert processor.image_processor.size.longest_edge == 112 * 112

    ids = tokenizer.convert_tokens_to_ids
    assert config.text_config.vocab_size == len(tokenizer)
    assert config.image_token_id == ids("<|image_pad|>")
    assert config.video_token_id == ids("<|video_pad|>")
    assert config.vision_start_token_id == ids("<|vision_start|>")
    assert config.vision_end_token_id == ids("<|vision_end|>")
    assert config.text_config.eos_token_id == model.generation_config.eos_token_id == ids("<|im_end|>")
    assert config.text_config.pad_token_id == model.generation_config.pad_token_id == ids("<|endoftext|>")
    assert config.vision_config.out_hidden_size == config.text_config.hidden_size
    assert config.text_config.rope_parameters["mrope_section"] == [2, 3, 3]
    assert 150_000 < sum(p.numel() for p in model.parameters()) < 400_000
    # Building must not leak the tiny pixel limits into the library's class-level defaults.
    assert Qwen2VLImageProcessor().size.longest_edge == 28 * 28 * 1280


def test_tiny_qwen2_5_vl_expands_image_tokens(tiny_model_dir: Path) -> None:
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(tiny_model_dir)
    batch = _one_image_batch(processor)
    tokens = processor.tokenizer.convert_ids_to_tokens(batch["input_ids"][0].tolist())
    n_image = int(batch["image_grid_thw"].prod()) // 4
    assert 0 < n_image <= 16
    start = tokens.index("<|vision_start|>")
    assert tokens[start + 1 : start + 2 + n_image] == ["<|image_pad|>"] * n_image + ["<|vision_end|>"]
    assert tokens.count("<|image_pad|>") == n_image
    assert batch["pixel_values"].shape[0] == int(batch["image_grid_thw"].prod())


def test_tiny_qwen2_5_vl_forward_loss_is_finite_and_generates(tiny_model_dir: Path) -> None:
    from transformers import AutoModelForImageTextToText, AutoProcessor

    processor = AutoProcessor.from_pretrained(tiny_model_dir)
    model = AutoModelForImageTextToText.from_pretrained(tiny_model_dir).eval()
    batch = _one_image_batch(processor)
    with torch.no_grad():
        loss = model(**batch, labels=batch["input_ids"]).loss
        generated = model.generate(**batch, max_new_tokens=3, do_sample=False)
    assert torch.isfinite(loss)
    assert generated.shape[1] <= batch["input_ids"].shape[1] + 3


def test_tiny_qwen2_5_vl_is_deterministic_per_seed(tiny_model_dir: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    same = load_file(build_tiny_qwen2_5_vl(tmp_path / "same", seed=0) / "model.safetensors")
    other = load_file(build_tiny_qwen2_5_vl(tmp_path / "other", seed=1) / "model.safetensors")
    reference = load_file(tiny_model_dir / "model.safetensors")
    assert same.keys() == reference.keys()
    assert all(torch.equal(same[name], reference[name]) for name in reference)
    assert any(
        not torch.equal(other[name], reference[name])
        for name in reference
        if other[name].shape == reference[name].shape
    )


def test_tiny_model_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from vision_r1_plugins.cli import app

    result = CliRunner().invoke(app, ["tiny-model", str(tmp_path / "m"), "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "m" / "model.safetensors").is_file() and (tmp_path / "m" / "processor_config.json").is_file()


def test_head_dim_option_builds_heads_vllm_can_run(tmp_path: Path) -> None:
    from transformers import AutoConfig, AutoModelForImageTextToText

    from vision_r1_plugins.testing.tiny import mrope_section

    assert [mrope_section(size) for size in (16, 32, 64)] == [[2, 3, 3], [4, 6, 6], [8, 12, 12]]
    path = build_tiny_qwen2_5_vl(tmp_path / "hd32", seed=0, head_dim=32)
    text = AutoConfig.from_pretrained(path).text_config
    assert text.hidden_size // text.num_attention_heads == 32
    assert sum(text.rope_parameters["mrope_section"]) == 16  # half the head: M-RoPE's split of the frequencies
    model = AutoModelForImageTextToText.from_pretrained(path)
    out = model(input_ids=torch.tensor([[1, 2, 3]]))
    assert out.logits.shape[-1] == text.vocab_size and torch.isfinite(out.logits).all()


def test_tiny_model_cli_refuses_a_head_dim_attention_cannot_split(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from vision_r1_plugins.cli import app

    result = CliRunner().invoke(app, ["tiny-model", str(tmp_path / "m"), "--head-dim", "12"])
    assert result.exit_code == 2 and "--head-dim" in result.output and "multiple of 8" in result.output
    assert not (tmp_path / "m" / "config.json").exists()
