"""The fake server's realistic reply lengths (``reply_chars``): padded stage replies, same answers, kept samples."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from vision_r1_plugins.bridge.filters import FilterConfig, run_filters, word_tokens
from vision_r1_plugins.testing.fake_server import (
    DESCRIPTION_END,
    TAG_HEADER,
    FakeServer,
    FakeServerConfig,
    _parse_args,
    pad_reply,
)
from vision_r1_plugins.testing.synthetic import write_images

ARITHMETIC = re.compile(r"\d+\s*[-+*×x]\s*\d+")
PROMPT = "Some instructions.\n\nQUESTION:\nWhat is 12 + 30?\n"


def _messages(config: FakeServerConfig, stage: str | None, max_tokens: int = 4096) -> dict[str, Any]:
    """The reply message (and finish reason) of one request to a server with ``config``."""
    body = {"model": "fake-mllm", "messages": [{"role": "user", "content": PROMPT}], "max_tokens": max_tokens}
    headers = {TAG_HEADER: stage} if stage else {}
    with FakeServer(config) as server, httpx.Client(base_url=server.url, timeout=10.0) as client:
        response = client.post("/chat/completions", json=body, headers=headers)
    assert response.status_code == 200, response.text
    choice = response.json()["choices"][0]
    return {**choice["message"], "finish_reason": choice["finish_reason"]}


@pytest.mark.parametrize("stage", ["caption_cot", "description"])
def test_mllm_stage_replies_are_padded_to_about_n_chars_and_keep_their_text(stage: str) -> None:
    plain = _messages(FakeServerConfig(), stage)["content"]
    padded = _messages(FakeServerConfig(reply_chars=3000), stage)["content"]
    assert len(plain) < 1000
    assert 3000 <= len(padded) <= 3300
    # Every sentence of the short reply is still there, in order, and its last sentence is still last.
    sentences = re.split(r"(?<=[.!?])\s+", plain)
    positions = [padded.index(sentence) for sentence in sentences]
    assert positions == sorted(positions)
    assert padded.endswith(sentences[-1])
    if stage == "description":
        assert padded.endswith(DESCRIPTION_END)
    # The only expression is the problem's: the next stage still finds it first.
    assert ARITHMETIC.findall(padded) == ARITHMETIC.findall(plain)


@pytest.mark.parametrize("reasoning_field", [True, False])
def test_reasoning_is_padded_and_the_answer_is_unchanged(reasoning_field: bool) -> None:
    plain = _messages(FakeServerConfig(reasoning_field=reasoning_field), "reasoning")
    padded = _messages(FakeServerConfig(reasoning_field=reasoning_field, reply_chars=4000), "reasoning")
    if reasoning_field:
        assert padded["content"] == plain["content"] == "The answer is \\boxed{42}."
        reasoning = padded["reasoning_content"]
    else:
        reasoning = padded["content"].split("<think>\n", 1)[1].split("\n</think>", 1)[0]
        assert padded["content"].endswith("</think>\n\nThe answer is \\boxed{42}.")
    assert 4000 <= len(reasoning) <= 4300
    assert reasoning.endswith("so the final answer is 42.")
    assert padded["finish_reason"] == "stop"


def test_a_plain_question_is_not_padded_and_zero_changes_nothing() -> None:
    assert (
        _messages(FakeServerConfig(reply_chars=3000), None)["content"] == _messages(FakeServerConfig(), None)["content"]
    )
    for stage in ("caption_cot", "description", "reasoning"):
        default, zero = _messages(FakeServerConfig(), stage), _messages(FakeServerConfig(reply_chars=0), stage)
        assert default == zero


def test_a_padded_reply_is_still_cut_by_the_token_budget() -> None:
    message = _messages(FakeServerConfig(reply_chars=4000), "reasoning", max_tokens=100)
    assert message["finish_reason"] == "length"
    assert len(message["reasoning_content"].split()) <= 100


@pytest.mark.parametrize("chars", [1000, 4000, 20_000, 59_000])
def test_filler_passes_the_quality_rules_at_any_length(chars: int) -> None:
    head, tail = "From the figure, the quantity is 7 + 5. Computing it gives 12.", "So the final answer is 12."
    for salt in range(5):
        padded = pad_reply(f"{head} {tail}", chars, str(salt))
        assert chars <= len(padded) <= chars + 200
        assert padded.startswith(head) and padded.endswith(tail)
        assert run_filters(padded, "The answer is \\boxed{12}.", "What is 7 + 5?", FilterConfig()).ok
        # Nothing the bridge or the server reads: no numbers, operators, quotes, tags or LaTeX.
        assert not re.search(r"[0-9\"'+*×<>\\]", padded.removeprefix(head).removesuffix(tail))
    # Varied text, not a repeated character or sentence: many distinct words and sentences.
    tokens = word_tokens(padded)
    assert len(set(tokens)) > min(100, len(tokens) // 4)
    sentences = re.split(r"(?<=\.)\s+", padded)
    assert len(set(sentences)) > 0.9 * len(sentences)


def test_padding_is_deterministic_and_varies_with_the_text() -> None:
    assert pad_reply("It is red. So it is red.", 2000, "a") == pad_reply("It is red. So it is red.", 2000, "a")
    assert pad_reply("It is red. So it is red.", 2000, "a") != pad_reply("It is blue. So it is blue.", 2000, "a")
    assert pad_reply("Already long enough.", 5) == "Already long enough."


def test_config_and_command_line() -> None:
    with pytest.raises(ValueError, match="reply_chars"):
        FakeServerConfig(reply_chars=-1)
    config, _, _ = _parse_args(["--reply-chars", "3500"])
    assert config.reply_chars == 3500
    assert _parse_args([])[0].reply_chars == 0


def _problems(root: Path, count: int) -> Path:
    names = write_images(root / "imgs", 4)
    path = root / "problems.jsonl"
    rows = [
        {
            "id": f"q{index}",
            "images": [f"imgs/{names[index % 4]}"],
            "problem": f"<image>What is {index} + {index + 3}?",
            "answer": str(2 * index + 3),
        }
        for index in range(count)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


@pytest.mark.parametrize("teacher", [False, True])
def test_the_bridge_keeps_every_padded_sample(tmp_path: Path, teacher: bool) -> None:
    from vision_r1_plugins.bridge import BackendConfig, BridgeConfig, bridge, make_backend
    from vision_r1_plugins.core.resources import sample_problems

    source = sample_problems() if teacher else _problems(tmp_path, 24)
    with FakeServer(FakeServerConfig(reply_chars=3500, teacher=teacher)) as server:
        backend = make_backend(BackendConfig("openai", "fake-mllm", base_url=server.url, concurrency=8))
        report = bridge(BridgeConfig(source, tmp_path / "out"), backend, backend)
    assert report.input > 0
    assert (report.kept, report.filtered, report.rejected) == (report.input, {}, {})
    assert report.reasoning_chars["median"] >= 3400
    rows = json.loads(report.dataset_path.read_text(encoding="utf-8"))
    assert len(rows) == report.input
    assert min(len(row["messages"][-1]["content"]) for row in rows) >= 3400
