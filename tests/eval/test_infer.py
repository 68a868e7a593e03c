from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from vision_r1_plugins.bridge.fake_server import FakeServer, FakeServerConfig
from vision_r1_plugins.cli import app
from vision_r1_plugins.eval.infer import Sampling, load_images, split_thinking, stream_openai
from vision_r1_plugins.llamafactory.synthetic import write_images


def test_openai_streaming_over_sse(tmp_path: Path) -> None:
    (name,) = write_images(tmp_path, 1)
    images = load_images([str(tmp_path / name)])
    with FakeServer(FakeServerConfig()) as server:
        chunks = list(stream_openai(server.url, "fake", images, "What is 12 + 30?", Sampling()))
    assert len(chunks) > 5  # streamed in pieces, not one blob
    thinking, answer = split_thinking("".join(chunks))
    assert answer == "42" and "12 + 30" in thinking


def test_infer_cli_shows_the_answer_apart(tmp_path: Path) -> None:
    (name,) = write_images(tmp_path, 1)
    with FakeServer(FakeServerConfig()) as server:
        result = CliRunner().invoke(app, ["infer", "--backend", "openai", "--base-url", server.url, "--model", "fake",
                                          "--image", str(tmp_path / name), "--prompt", "What is 2 * 21?"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().splitlines()[-2].strip() == "42"
    missing = CliRunner().invoke(app, ["infer", "--model", "x", "--prompt", "q", "--image", str(tmp_path / "no.png")])
    assert missing.exit_code == 1 and "missing_image" in missing.output


def test_transformers_streaming_with_the_tiny_model(tmp_path: Path, tiny_model_dir: Path) -> None:
    from vision_r1_plugins.eval.infer import stream_transformers

    (name,) = write_images(tmp_path, 1)
    chunks = list(stream_transformers(str(tiny_model_dir), load_images([str(tmp_path / name)]), "How many?",
                                      Sampling(max_tokens=8)))  # fmt: skip
    assert chunks and isinstance("".join(chunks), str)  # random weights: the text is noise, the stream is real


def test_vllm_backend_explains_when_vllm_is_missing(tmp_path: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:
        return  # a GPU environment: nothing to explain
    result = CliRunner().invoke(app, ["infer", "--backend", "vllm", "--model", "m", "--prompt", "q"])
    assert result.exit_code == 1 and "vllm serve" in " ".join(result.output.split())
