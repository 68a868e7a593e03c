"""Training/benchmark overlap (contamination) checks: ``vision-r1 data overlap``.

Benchmark rows (any registered layout) are indexed by normalised question text (exact digest, and MinHash + LSH
for near duplicates, verified by exact Jaccard similarity) and by perceptual image hashes; training rows (problems,
the bridge's output, LLaMA-Factory ShareGPT, the verl RL parquet) are streamed past the index.

>>> from pathlib import Path
>>> from vision_r1_plugins.overlap import OverlapConfig, check_overlap, load_index
>>> report = check_overlap(OverlapConfig((Path("train.jsonl"),), ("mathvista_testmini=testmini.json",), Path("out")))
... # doctest: +SKIP
>>> index = load_index(["mathvista_testmini=testmini.json"])  # the Excluder of bridge/rl-data  # doctest: +SKIP

The optional packages (``datasketch``, ``imagehash``) are imported when an index is built:
``pip install 'vision-r1-plugins[data]'``.
"""

from vision_r1_plugins.overlap.check import (
    BenchmarkSummary,
    OverlapConfig,
    OverlapReport,
    TrainingSummary,
    check_overlap,
)
from vision_r1_plugins.overlap.index import BenchmarkIndex, IndexConfig, Match, load_index
from vision_r1_plugins.overlap.normalize import NormalText, normalise
from vision_r1_plugins.overlap.text_index import TextRules
from vision_r1_plugins.overlap.training import TrainFormat

__all__ = [
    "BenchmarkIndex",
    "BenchmarkSummary",
    "IndexConfig",
    "Match",
    "NormalText",
    "OverlapConfig",
    "OverlapReport",
    "TextRules",
    "TrainFormat",
    "TrainingSummary",
    "check_overlap",
    "load_index",
    "normalise",
]
