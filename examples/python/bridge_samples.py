r"""Modality bridging of the bundled sample problems through an OpenAI-compatible server (``vllm serve`` ...).

    python examples/python/bridge_samples.py --base-url http://localhost:8000/v1 \
        --mllm Qwen2.5-VL-72B-Instruct --reasoner DeepSeek-R1 [--out outputs/bridge-samples]

Without a GPU, a stand-in teacher server answers the same protocol:
``python -m vision_r1_plugins.testing.fake_server --teacher --port 8000`` (then the default model names work).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from vision_r1_plugins.bridge import BackendConfig, BridgeConfig, Sampling, bridge, make_backend
from vision_r1_plugins.generation import Backend

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--base-url", default=os.environ.get("VISION_R1_BASE_URL", "http://localhost:8000/v1"))
parser.add_argument("--mllm", default="fake-mllm", help="the served multimodal model")
parser.add_argument("--reasoner", default="fake-reasoner", help="the served text reasoner (may be the same)")
parser.add_argument("--problems", type=Path, default=Path("data/samples/problems/problems.jsonl"))
parser.add_argument("--out", type=Path, default=Path("outputs/bridge-samples"))
args = parser.parse_args()


def backend(model: str) -> Backend:
    return make_backend(BackendConfig("openai", model, args.base_url, sampling=Sampling(max_tokens=4096)))


# resume=True: a rerun reuses every finished request saved in the --out folder (requests.sqlite).
report = bridge(BridgeConfig(args.problems, args.out, resume=True), backend(args.mllm), backend(args.reasoner))
print(report.headline())
print(f"dataset: {report.dataset_path} (registered in {args.out / 'dataset_info.json'})")
