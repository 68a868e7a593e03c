"""Bridge throughput against a local OpenAI-compatible server with a fixed 200 ms latency per request.

    .venv/bin/python benchmarks/bridge_bench.py [--samples 1000] [--serial-samples 60]

All three stages go to that one endpoint, so at concurrency C the best possible rate is C / 0.2 s / 3 requests
per sample. The server (vision_r1_plugins.testing.fake_server) runs as its own process. At concurrency 1 the
ideal is 1.67 samples/s, so that row uses --serial-samples samples (1,000 would take 10 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vision_r1_plugins.bridge.pipeline import BridgeConfig, bridge
from vision_r1_plugins.generation import BackendConfig, make_backend
from vision_r1_plugins.testing.synthetic import write_images

LATENCY = 0.2


def problems(root: Path, count: int) -> Path:
    names = write_images(root / "imgs", 8)
    path = root / "problems.jsonl"
    with path.open("w") as out:
        for index in range(count):
            out.write(
                json.dumps(
                    {
                        "id": f"q{index}",
                        "images": [f"imgs/{names[index % 8]}"],
                        "problem": f"<image>What is {index} + {index + 3}?",
                        "answer": str(2 * index + 3),
                    }
                )
                + "\n"
            )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--serial-samples", type=int, default=60)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64])
    args = parser.parse_args()

    server = subprocess.Popen(
        [sys.executable, "-m", "vision_r1_plugins.testing.fake_server", "--port", "0", "--latency", str(LATENCY)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        print(f"server {url}, latency {LATENCY * 1000:.0f} ms, 3 requests per sample, {os.cpu_count()} CPUs\n")
        header = ("concurrency", "samples", "seconds", "samples/s", "ideal/s", "of ideal")
        print("| " + " | ".join(f"{name:>{len(name)}}" for name in header) + " |")
        print("|" + "|".join("-" * (len(name) + 2) for name in header) + "|")
        for concurrency in args.concurrency:
            count = args.serial_samples if concurrency == 1 else args.samples
            with tempfile.TemporaryDirectory() as folder:
                root = Path(folder)
                source = problems(root, count)

                def backend(model: str, concurrency: int = concurrency, url: str = url):
                    return make_backend(BackendConfig("openai", model, url, concurrency=concurrency, timeout=30.0))

                start = time.perf_counter()
                report = bridge(
                    BridgeConfig(source, root / "out", max_active_samples=4 * concurrency),
                    backend("fake-mllm"),
                    backend("fake-reasoner"),
                )
                elapsed = time.perf_counter() - start
            assert report.kept + sum(report.filtered.values()) == count, report
            rate, ideal = count / elapsed, concurrency / LATENCY / 3
            print(
                f"| {concurrency:>11} | {count:>7} | {elapsed:>7.1f} | {rate:>9.2f} | {ideal:>7.2f} | "
                f"{rate / ideal:>7.1%} |",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
