"""Bridging against one server vs two replicas at the same per-server concurrency.

    .venv/bin/python benchmarks/replicas_bench.py [--samples 400] [--concurrency 16]

Each fake server (vision_r1_plugins.testing.fake_server, its own process) answers every request after a fixed
200 ms, like a model server at its batch limit, so a server's rate is capped by the requests it holds at once.
With ``--base-url A,B`` the client keeps ``--concurrency`` requests in flight on each, least-loaded first: the
ideal is twice the one-server rate.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bridge_bench import problems  # the same arithmetic problems (this folder is on sys.path when run)

from vision_r1_plugins.bridge.filters import FilterConfig
from vision_r1_plugins.bridge.pipeline import BridgeConfig, bridge
from vision_r1_plugins.generation import BackendConfig, make_backend

LATENCY = 0.2


def start_server() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "vision_r1_plugins.testing.fake_server", "--port", "0", "--latency", str(LATENCY)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def run(urls: tuple[str, ...], count: int, concurrency: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        source = problems(root, count)

        def backend(model: str):
            return make_backend(BackendConfig("openai", model, urls, concurrency=concurrency, timeout=30.0))

        start = time.perf_counter()
        config = BridgeConfig(
            source,
            root / "out",
            max_active_samples=4 * concurrency * len(urls),
            filters=FilterConfig(min_reasoning_chars=10),
        )
        report = bridge(config, backend("fake-mllm"), backend("fake-reasoner"))
        elapsed = time.perf_counter() - start
    assert report.kept + sum(report.filtered.values()) == count, report
    return elapsed, report.kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight per server")
    args = parser.parse_args()
    servers = [start_server() for _ in range(2)]
    try:
        urls = tuple(url for _, url in servers)
        print(
            f"latency {LATENCY * 1000:.0f} ms per request, 3 requests per sample, concurrency {args.concurrency} "
            f"per server, {args.samples} samples, {os.cpu_count()} CPUs\n"
        )
        header = ("servers", "seconds", "samples/s", "ideal/s", "of ideal", "speed-up")
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" for _ in header) + "|")
        baseline = None
        for chosen in (urls[:1], urls):
            elapsed, _ = run(chosen, args.samples, args.concurrency)
            rate, ideal = args.samples / elapsed, len(chosen) * args.concurrency / LATENCY / 3
            baseline = baseline or rate
            print(
                f"| {len(chosen)} | {elapsed:.1f} | {rate:.2f} | {ideal:.2f} | {rate / ideal:.1%} | "
                f"{rate / baseline:.2f}x |",
                flush=True,
            )
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
