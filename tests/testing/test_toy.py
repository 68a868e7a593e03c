"""The toy task: deterministic, the held-out split disjoint from training, labels noisy only where meant, and a
teacher whose shortcut the bridge's answer check sees only through the labels."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image

from vision_r1_plugins.core.images import ImageRef
from vision_r1_plugins.reward import compute_score
from vision_r1_plugins.testing.fake_server import FakeServer, FakeServerConfig
from vision_r1_plugins.testing.toy import COLOURS, ToyConfig, teacher_settings, write_toy_task


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def task(tmp_path_factory: pytest.TempPathFactory):
    return write_toy_task(tmp_path_factory.mktemp("toy"), ToyConfig(bridge=96, rl=96, heldout=48, seed=5))


def test_splits_have_their_sizes_and_the_held_out_one_is_disjoint(task) -> None:
    bridge, rl, heldout = rows(task.bridge), rows(task.rl), rows(task.heldout)
    assert (len(bridge), len(rl), len(heldout)) == (96, 96, 48)
    combination = lambda row: (row["problem"].split()[0], row["claim"], row["colour"])  # noqa: E731
    assert not {combination(row) for row in heldout} & {combination(row) for row in bridge + rl}
    digests = [
        hashlib.sha256((path.parent / row["images"][0]).read_bytes()).hexdigest()
        for path, split in ((task.bridge, bridge), (task.rl, rl), (task.heldout, heldout))
        for row in split
    ]
    assert len(set(digests)) == len(digests)  # every image is its own draw
    ids = [row["id"] for row in bridge + rl + heldout]
    assert len(set(ids)) == len(ids)


def test_only_the_bridge_split_has_labels_taken_from_a_wrong_claim(task) -> None:
    for path in (task.rl, task.heldout):
        assert all(row["answer"] == row["colour"] for row in rows(path))
    bridge = rows(task.bridge)
    noisy = [row for row in bridge if row["answer"] != row["colour"]]
    assert noisy and all(row["answer"] == row["claim"] and not row["claim_right"] for row in noisy)
    wrong_claims = [row for row in bridge if not row["claim_right"]]
    assert 0.3 < len(noisy) / len(wrong_claims) < 0.9  # the configured 0.6, drawn
    assert 0.3 < len(wrong_claims) / len(bridge) < 0.7  # claims right half the time


def test_images_show_their_colour_and_answers_are_what_the_reward_checks(task) -> None:
    for row in rows(task.heldout)[:12]:
        image = Image.open(task.heldout.parent / row["images"][0]).convert("RGB")
        assert image.size == (56, 56)
        mean = [sum(channel) / len(channel) for channel in zip(*image.getdata(), strict=True)]
        nearest = min(COLOURS, key=lambda name: sum((a - b) ** 2 for a, b in zip(mean, COLOURS[name], strict=True)))
        assert nearest == row["colour"]
        response = f"<think>\nI look at the image.\n</think>\n<answer> Final Answer: {row['answer']} </answer>"
        assert compute_score("toy", response, row["answer"])["score"] == 1.0


def test_the_same_config_writes_the_same_task(tmp_path: Path) -> None:
    config = ToyConfig(bridge=8, rl=8, heldout=8, seed=2)
    first, second = write_toy_task(tmp_path / "a", config), write_toy_task(tmp_path / "b", config)
    assert first.heldout.read_text() == second.heldout.read_text()
    assert write_toy_task(tmp_path / "c", ToyConfig(bridge=8, rl=8, heldout=8, seed=3)).heldout.read_text() != (
        first.heldout.read_text()
    )


def test_bad_configs_are_refused() -> None:
    with pytest.raises(ValueError, match="must be > 0"):
        ToyConfig(heldout=0)
    with pytest.raises(ValueError, match=r"bridge_label_noise must be in \[0, 1\]"):
        ToyConfig(bridge_label_noise=1.5)


def test_the_teacher_trusts_the_quoted_claim_part_of_the_time() -> None:
    import asyncio

    from vision_r1_plugins.generation import BackendConfig, Sampling, make_backend

    config = FakeServerConfig(models=("reasoner",), **teacher_settings(0))
    prompts = [
        f'The value the question asks about is shown in the figure as "{colour}".\nQUESTION:\n'
        f"{name} says the image is red. What color is the image?"
        for name in ("Erin", "Omar", "Lena", "Ravi")
        for colour in ("green", "blue", "yellow", "red")
    ]
    with FakeServer(config, host="127.0.0.1", port=0) as server:
        backend = make_backend(BackendConfig("openai", "reasoner", base_url=server.url, sampling=Sampling()))

        async def ask() -> list:
            return [
                await backend.complete([{"role": "user", "content": prompt}], tag="reasoning") for prompt in prompts
            ]

        async def ask_and_close() -> list:
            try:
                return await ask()
            finally:
                await backend.aclose()

        replies = asyncio.run(ask_and_close())
        planted = server.stats()["planted"]
    trusted = [reply for reply in replies if (reply.reasoning or "").startswith("The text says it is red")]
    looked = [reply for reply in replies if (reply.reasoning or "").startswith("I look at the image")]
    assert len(trusted) + len(looked) == len(prompts) and trusted and looked
    assert all(reply.content.endswith("\\boxed{red}.") for reply in trusted)
    wrong = [
        reply for prompt, reply in zip(prompts, replies, strict=True) if reply in trusted and '"red"' not in prompt
    ]
    assert planted["shortcut"] == len(trusted) and planted["shortcut_wrong"] == len(wrong) > 0


def test_the_teachers_description_names_the_colour_it_sees_and_the_reasoner_answers_it(task) -> None:
    import asyncio

    from vision_r1_plugins.generation import BackendConfig, Sampling, chat_messages, make_backend

    row = next(row for row in rows(task.heldout) if not row["claim_right"])
    image = ImageRef(path=str(task.heldout.parent / row["images"][0]))
    config = FakeServerConfig(models=("mllm",), **teacher_settings(0))
    carried = f'The value the question asks about is shown in the figure as "{row["claim"]}".'
    with FakeServer(config, host="127.0.0.1", port=0) as server:
        backend = make_backend(BackendConfig("openai", "mllm", base_url=server.url, sampling=Sampling()))

        async def describe_then_reason() -> tuple:
            try:
                description = await backend.complete(
                    chat_messages(f"{carried}\nDescribe it.", (image,)), tag="description"
                )
                # A reasoning prompt without the claim sentence: the reasoner cannot take the shortcut.
                reasoning = await backend.complete(chat_messages(f"{description.text}\n{carried}"), tag="reasoning")
                return description, reasoning
            finally:
                await backend.aclose()

        description, reasoning = asyncio.run(describe_then_reason())
    assert description.text.startswith(f"Looking at the image, its colour is {row['colour']}.")
    # It reads the image's colour, not the carried (claimed) value: the answer check will compare it with the label.
    assert reasoning.reasoning == f"I look at the image: it is {row['colour']}."
    assert reasoning.content.endswith(f"\\boxed{{{row['colour']}}}.")
