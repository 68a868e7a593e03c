"""The hf rollout server answered directly (no Ray): token ids in, token ids out, as verl's agent loop asks."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

pytest.importorskip("verl")

import torch
from PIL import Image

from vision_r1_plugins.ptst.dry_run import compose_config
from vision_r1_plugins.ptst.remote import set_stage_shape
from vision_r1_plugins.verl.cpu.rollout import HFRolloutServer


@pytest.fixture(scope="module")
def server(tiny_model_dir: Path) -> HFRolloutServer:
    config = compose_config(
        {
            "actor_rollout_ref.model.path": str(tiny_model_dir),
            "data.max_response_length": 12,
            "actor_rollout_ref.rollout.name": "hf",
        }
    )
    return HFRolloutServer(config.actor_rollout_ref.rollout, config.actor_rollout_ref.model)


def image_prompt(server: HFRolloutServer, question: str = "What is x?") -> tuple[list[int], list[Image.Image]]:
    image = Image.new("RGB", (56, 56), (200, 30, 30))
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": question}]}]
    text = server.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    ids = server.processor(text=[text], images=[image], return_tensors="pt")["input_ids"][0].tolist()
    return ids, [image]


def test_generates_with_images_within_the_length_and_never_a_placeholder(server: HFRolloutServer) -> None:
    ids, images = image_prompt(server)
    assert server.model.config.image_token_id in ids  # the prompt carries the expanded image
    torch.manual_seed(0)
    outputs = [
        asyncio.run(
            server.generate(
                ids, {"temperature": 1.0, "top_p": 1.0, "top_k": -1, "logprobs": True}, f"r{i}", image_data=images
            )
        )
        for i in range(8)
    ]
    for output in outputs:
        assert 1 <= len(output.token_ids) <= 12 and len(output.log_probs) == len(output.token_ids)
        assert all(lp <= 0 for lp in output.log_probs)
        assert not set(output.token_ids) & set(server.suppressed)
    assert len({tuple(output.token_ids) for output in outputs}) > 1  # sampled, not greedy
    short = asyncio.run(server.generate(ids, {"temperature": 0, "max_tokens": 3}, "r", image_data=images))
    assert len(short.token_ids) <= 3 and short.log_probs is None


def test_response_length_pushed_by_the_hook_applies(server: HFRolloutServer) -> None:
    ids, images = image_prompt(server)
    assert set_stage_shape(server, 5) == 1
    output = asyncio.run(server.generate(ids, {"temperature": 1.0, "top_k": -1}, "r", image_data=images))
    assert len(output.token_ids) <= 5
    set_stage_shape(server, 12)


def test_update_weights_needs_every_parameter(server: HFRolloutServer) -> None:
    state = {name: torch.zeros_like(value) for name, value in server.model.state_dict().items()}
    before = server.weight_version
    assert asyncio.run(server.update_weights(state)) == len(state)
    assert server.weight_version == before + 1
    assert all(not value.any() for value in server.model.parameters())
    missing = dict(list(state.items())[1:])
    with pytest.raises(KeyError, match="did not send"):
        asyncio.run(server.update_weights(missing))
    with pytest.raises(KeyError, match="does not have"):
        asyncio.run(server.update_weights({**state, "model.not_a_layer.weight": torch.zeros(1)}))


def actor_log_probs(
    server: HFRolloutServer, ids: list[int], images: list[Image.Image], tokens: list[int]
) -> torch.Tensor:
    """The log-probs of ``tokens`` after ``ids`` from one forward pass with what the processor gives a Qwen-VL model
    (pixel values, grid, and its own mm_token_type_ids, from which transformers builds the 3D M-RoPE positions that
    verl's actor and LLaMA-Factory use)."""
    full = ids + tokens
    inputs = dict(server.processor.image_processor(images=images, return_tensors="pt"))
    inputs["input_ids"] = torch.tensor([full])
    inputs["attention_mask"] = torch.ones_like(inputs["input_ids"])
    inputs["mm_token_type_ids"] = torch.tensor(server.processor.create_mm_token_type_ids([full]))
    with torch.no_grad():
        logits = server.model(**inputs).logits[0, len(ids) - 1 : -1].float()
    return torch.log_softmax(logits, -1).gather(-1, torch.tensor(tokens)[:, None]).squeeze(-1)


def test_log_probs_of_a_batch_equal_the_actors_forward_on_prompts_with_images(server: HFRolloutServer) -> None:
    # Two prompts of different lengths arrive together: one left-padded batch. Each response's log-probs are what a
    # full forward with 3D positions gives (1D positions, transformers' default without mm_token_type_ids, differ).
    prompts = [image_prompt(server), image_prompt(server, "What colour is the big square in the middle?")]
    params = {"temperature": 1.0, "top_p": 1.0, "top_k": -1, "logprobs": True}

    async def together() -> list:
        return await asyncio.gather(
            *(server.generate(ids, params, f"r{i}", image_data=images) for i, (ids, images) in enumerate(prompts))
        )

    torch.manual_seed(1)
    outputs = asyncio.run(together())
    for (ids, images), output in zip(prompts, outputs, strict=True):
        expected = actor_log_probs(server, ids, images, output.token_ids)
        assert torch.allclose(torch.tensor(output.log_probs), expected, atol=1e-4), (output.log_probs, expected)
