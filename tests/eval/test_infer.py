"""``vision-r1 infer``: streaming through the shared backends."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.core.images import load_image_files
from vision_r1_plugins.eval.infer import infer, split_answer
from vision_r1_plugins.generation import BackendConfig, Sampling, chat_messages, make_backend
from vision_r1_plugins.testing.fake_server import FakeServer
from vision_r1_plugins.testing.synthetic import write_images


def test_openai_streaming_over_sse(tmp_path: Path) -> None:
    (name,) = write_images(tmp_path, 1)
    images = load_image_files([str(tmp_path / name)])
    chunks: list[str] = []
    with FakeServer() as server:
        backend = make_backend(BackendConfig("openai", "fake-mllm", server.url))
        result = infer(backend, "What is 12 + 30?", images, on_text=chunks.append)
    assert len(chunks) > 5  # streamed in pieces, not one blob
    assert "".join(chunks) == result.response
    # The server streams reasoning_content: shown inline as one think block before the answer.
    assert result.response.startswith("<think>\n") and result.response.count("</think>") == 1
    assert result.answer == "42" and "12 + 30" in result.thinking
    assert split_answer(result.response) == (result.thinking, "42")


def test_infer_cli_shows_the_answer_apart(tmp_path: Path) -> None:
    (name,) = write_images(tmp_path, 1)
    with FakeServer() as server:
        result = CliRunner().invoke(
            app,
            [
                "infer",
                "--backend",
                "openai",
                "--base-url",
                server.url,
                "--model",
                "fake-mllm",
                "--image",
                str(tmp_path / name),
                "--prompt",
                "What is 2 * 21?",
            ],
        )
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().splitlines()[-2].strip() == "42"
    missing = CliRunner().invoke(app, ["infer", "--model", "x", "--prompt", "q", "--image", str(tmp_path / "no.png")])
    assert missing.exit_code == 2 and "missing image" in missing.output and "Traceback" not in missing.output


def test_transformers_streaming_matches_plain_generation(tmp_path: Path, tiny_model_dir: Path) -> None:
    (name,) = write_images(tmp_path, 1)
    images = load_image_files([str(tmp_path / name)])
    config = BackendConfig("transformers", str(tiny_model_dir), sampling=Sampling(temperature=0, max_tokens=8))
    pieces: list[str] = []
    streamed = infer(make_backend(config), "How many?", images, on_text=pieces.append)
    whole = asyncio.run(make_backend(config).complete(chat_messages("How many?", images)))
    # Random weights: the text is noise, but greedy decoding makes the stream and the plain call agree exactly.
    assert whole.completion_tokens == 8 and whole.finish_reason == "length"
    assert streamed.response == whole.content == "".join(pieces)


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed: nothing to explain")
def test_vllm_backend_explains_when_vllm_is_missing() -> None:
    result = CliRunner().invoke(app, ["infer", "--backend", "vllm", "--model", "m", "--prompt", "q"])
    assert result.exit_code == 2 and "vllm serve" in " ".join(result.output.split())
    assert "Traceback" not in result.output
