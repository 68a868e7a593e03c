"""Tiny offline stand-ins for Qwen2.5-VL pieces, built locally (no hub access in tests, CI or the demo).

``build_tiny_tokenizer`` trains a byte-level BPE on generated text with Qwen's pre-tokenizer rule and special
tokens and wraps it as the tokenizer class Qwen2.5-VL uses. ``build_tiny_qwen2_5_vl`` adds a randomly initialised
~250K-parameter ``Qwen2_5_VLForConditionalGeneration`` and its processor on top, so the real multimodal code paths
(processor expansion, M-RoPE, windowed vision attention, LLaMA-Factory SFT) run on CPU in seconds. Both are
deterministic for a seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

QWEN_SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

# Qwen2's pre-tokenizer rule: contractions, letter runs, single digits, punctuation runs, newlines, spaces.
QWEN_PRETOKENIZE_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

# ChatML with Qwen2-VL's multimodal parts: images/videos become vision_start + pad + vision_end.
QWEN2_VL_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' or 'image' in part or 'image_url' in part %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'video' or 'video' in part %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in part %}{{ part['text'] }}{% endif %}"
    "{% endfor %}<|im_end|>\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_WORDS = (
    "the triangle angle circle radius area length side point line answer think so we find value of is "
    "and then because therefore wait let me check again compute total number sum figure image shows in a "
    "an to it this that what which how many degrees right equal parallel chord tangent height base bar "
    "chart graph value year percent option correct final hmm double-check yes no"
).split()
_MATH = ("\\frac{1}{2}", "\\sqrt{3}", "\\pi", "x^2", "30^\\circ", "\\boxed{5}", "(1, 2)", "[0, 1)", "x = 5", "$", "=")


def _corpus(seed: int, lines: int = 3000) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(4, 16))]
        words.insert(rng.randrange(len(words)), rng.choice(_MATH))
        words.insert(rng.randrange(len(words)), str(rng.randint(0, 9999)))
        sentence = " ".join(words)
        out.append(
            f"<think>\n{sentence.capitalize()}.\n</think>\n<answer> Final Answer: {rng.choice('ABCD')} </answer>"
        )
        out.append(f"What is the {rng.choice(_WORDS)} of {rng.choice(_MATH)}? Choices: (A) 1 (B) 2.\n")
    return out


def build_tiny_tokenizer(
    out_dir: str | Path | None = None, seed: int = 0, vocab_size: int = 1024, extra_text: tuple[str, ...] = ()
) -> Any:
    """A ``Qwen2TokenizerFast`` trained locally; saved to ``out_dir`` when given so ``AutoTokenizer`` reloads it.
    ``extra_text``: lines added to the training text (a toy task's words become whole tokens)."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Qwen2TokenizerFast

    backend = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN_PRETOKENIZE_PATTERN), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(QWEN_SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator([*_corpus(seed), *extra_text], trainer=trainer)
    tokenizer = Qwen2TokenizerFast(
        tokenizer_object=backend,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        bos_token=None,
        additional_special_tokens=list(QWEN_SPECIAL_TOKENS[1:]),
    )
    tokenizer.chat_template = QWEN2_VL_CHAT_TEMPLATE
    tokenizer.model_max_length = 32768
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        tokenizer.save_pretrained(str(out_dir))
    return tokenizer


# Vision geometry shared by the processors and the vision tower; they must agree or the merger sees the wrong shapes.
TINY_PATCH_SIZE = 14
TINY_MERGE_SIZE = 2
TINY_TEMPORAL_PATCH_SIZE = 2
# 112*112 caps an image at an 8x8 patch grid, i.e. at most 16 merged image tokens, so CPU runs stay cheap.
TINY_MIN_PIXELS = 56 * 56
TINY_MAX_PIXELS = 112 * 112


TINY_HEAD_DIM = 16
TINY_ATTENTION_HEADS = 4


def mrope_section(head_dim: int) -> list[int]:
    """M-RoPE's split of the ``head_dim / 2`` rotary frequencies over (temporal, height, width), in Qwen2.5-VL's
    proportions (its [16, 24, 24] of 64): 16 -> [2, 3, 3], 32 -> [4, 6, 6], 64 -> [8, 12, 12]."""
    half = head_dim // 2
    temporal = half // 4
    height = (half - temporal) // 2
    return [temporal, height, half - temporal - height]


def check_head_dim(head_dim: int) -> None:
    if head_dim < 8 or head_dim % 8:
        raise ValueError(f"head_dim must be a multiple of 8 (at least 8), got {head_dim}")


@dataclass(frozen=True)
class TinySize:
    """The tiny model's size. The default is the ~250K-parameter model the tests use; :data:`TOY_SIZE` is the one
    that learns the toy task (:mod:`vision_r1_plugins.testing.toy`)."""

    head_dim: int = TINY_HEAD_DIM  # the hidden size is 4 heads of it
    layers: int = 2
    vision_hidden: int = 32
    vision_depth: int = 2


# 1.1M parameters: text hidden 128 in 4 layers, vision hidden 64 (head_dim 32 also suits vLLM's CPU attention).
TOY_SIZE = TinySize(head_dim=32, layers=4, vision_hidden=64, vision_depth=2)


def _tiny_config(tokenizer: Any, size: TinySize) -> Any:
    from transformers import Qwen2_5_VLConfig

    head_dim = size.head_dim
    check_head_dim(head_dim)
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in QWEN_SPECIAL_TOKENS}
    hidden = TINY_ATTENTION_HEADS * head_dim
    text_config = {
        "vocab_size": len(tokenizer),
        "hidden_size": hidden,
        "intermediate_size": 2 * hidden,
        "num_hidden_layers": size.layers,
        "num_attention_heads": TINY_ATTENTION_HEADS,
        "num_key_value_heads": TINY_ATTENTION_HEADS // 2,
        "max_position_embeddings": 32768,  # room for PTST's 8K+ stages in dry runs
        "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": mrope_section(head_dim)},
        # No BOS, like the tokenizer: a config BOS the tokenizer lacks makes the HF Trainer rewrite both configs.
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
        "tie_word_embeddings": False,
    }
    vision_config = {
        "depth": size.vision_depth,
        "hidden_size": size.vision_hidden,
        "intermediate_size": 4 * size.vision_hidden,
        "num_heads": 2,
        "out_hidden_size": text_config["hidden_size"],
        "patch_size": TINY_PATCH_SIZE,
        "spatial_merge_size": TINY_MERGE_SIZE,
        "temporal_patch_size": TINY_TEMPORAL_PATCH_SIZE,
        "window_size": 112,
        # Block 0 takes the windowed-attention path and block 1 the full one, as both kinds exist in the real tower.
        "fullatt_block_indexes": list(range(1, size.vision_depth)),
        "tokens_per_second": 2,
    }
    return Qwen2_5_VLConfig(
        text_config=text_config,
        vision_config=vision_config,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )


def build_tiny_qwen2_5_vl(
    out_dir: str | Path,
    seed: int = 0,
    head_dim: int | None = None,
    size: TinySize | None = None,
    extra_text: tuple[str, ...] = (),
) -> Path:
    """Save a randomly initialised tiny ``Qwen2_5_VLForConditionalGeneration`` plus its processor to ``out_dir``.

    Everything ``AutoProcessor``/``AutoTokenizer``/``AutoConfig``/``AutoModelForImageTextToText`` need is written,
    so the directory stands in for a hub checkpoint offline. Deterministic for a seed. ``head_dim`` sets the size of
    the language model's attention heads (default 16; the hidden size is 4 heads of it): vLLM's CPU attention
    takes 32, 64, 80, 96, 112, 128 and up only. ``size`` sets every dimension (its ``head_dim`` wins);
    ``extra_text`` is added to the tokenizer's training text.
    """
    import torch
    from transformers import (
        GenerationConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLImageProcessor,
        Qwen2VLVideoProcessor,
    )

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tiny_tokenizer(seed=seed, extra_text=extra_text)
    size = size or TinySize(head_dim=head_dim or TINY_HEAD_DIM)
    config = _tiny_config(tokenizer, size)
    geometry = {
        "patch_size": TINY_PATCH_SIZE,
        "merge_size": TINY_MERGE_SIZE,
        "temporal_patch_size": TINY_TEMPORAL_PATCH_SIZE,
    }
    # An explicit fresh ``size`` dict: given only min/max_pixels, these processors write them into the class-level
    # default ``size`` dict, changing every later Qwen2-VL processor in the process.
    image_processor = Qwen2VLImageProcessor(
        size={"shortest_edge": TINY_MIN_PIXELS, "longest_edge": TINY_MAX_PIXELS}, **geometry
    )
    video_processor = Qwen2VLVideoProcessor(
        size={"shortest_edge": TINY_MIN_PIXELS, "longest_edge": TINY_MAX_PIXELS}, **geometry
    )
    processor = Qwen2_5_VLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        chat_template=QWEN2_VL_CHAT_TEMPLATE,
    )

    # Seed the global generator only for the init, restoring it so callers' own randomness is untouched.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2_5_VLForConditionalGeneration(config).to(torch.float32)
    model.generation_config = GenerationConfig(
        bos_token_id=config.text_config.bos_token_id,
        eos_token_id=config.text_config.eos_token_id,
        pad_token_id=config.text_config.pad_token_id,
    )
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out
