"""Modality bridging: build multimodal chain-of-thought SFT data without human labels (``vision-r1 bridge``).

An MLLM describes each image in the light of the question (pseudo-CoT, then a detailed description), a text-only
reasoner reasons from that description, and the samples whose answer the reward accepts and whose reasoning passes
the quality filters are written as a LLaMA-Factory sharegpt dataset, registered in ``out_dir/dataset_info.json``.

>>> from pathlib import Path
>>> from vision_r1_plugins.bridge import BackendConfig, BridgeConfig, bridge, make_backend
>>> mllm = make_backend(BackendConfig("openai", "Qwen2.5-VL-72B-Instruct", "http://localhost:8000/v1"))
>>> reasoner = make_backend(BackendConfig("openai", "DeepSeek-R1", "http://localhost:8001/v1"))
>>> report = bridge(BridgeConfig(Path("data/samples/problems/problems.jsonl"), Path("out/bridge")), mllm, reasoner)
... # doctest: +SKIP
>>> report.kept, report.dataset_path  # doctest: +SKIP
(36, PosixPath('out/bridge/vision_r1_bridged.json'))

``bridge`` works from a script and inside a running event loop (Jupyter); async code awaits ``bridge_async``.
"""

from vision_r1_plugins.bridge.export import DATASET_NAME, export
from vision_r1_plugins.bridge.filters import FilterConfig
from vision_r1_plugins.bridge.pipeline import BridgeConfig, BridgeProgress, BridgeReport, bridge, bridge_async
from vision_r1_plugins.core.problems import ProblemColumns
from vision_r1_plugins.generation import BackendConfig, Sampling, make_backend

__all__ = [
    "DATASET_NAME",
    "BackendConfig",
    "BridgeConfig",
    "BridgeProgress",
    "BridgeReport",
    "FilterConfig",
    "ProblemColumns",
    "Sampling",
    "bridge",
    "bridge_async",
    "export",
    "make_backend",
]
