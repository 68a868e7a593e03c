"""What ``--exclude-benchmark`` hands to the commands that build training data (``bridge``, ``rl-data``).

The index itself (MinHash over question text, perceptual hashes over images) lives in
:mod:`vision_r1_plugins.overlap`, above the features, because it reads benchmark files in every registered layout.
The features only need this protocol: given a problem, the benchmark row it overlaps, if any. A matched problem is
*filtered* with reason :data:`OVERLAP_REASON` (the user asked for the rule), so the counts still add up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from vision_r1_plugins.core.problems import Problem

OVERLAP_REASON = "benchmark_overlap"


@dataclass(frozen=True)
class OverlapMatch:
    """One benchmark row a training row overlaps: ``kind`` is ``text_exact`` (the same normalised question),
    ``text_near`` or ``image``; ``similarity`` is the Jaccard similarity of the normalised questions' shingles
    (text) or 1 - Hamming distance / bits of the perceptual hashes (image); ``detail`` says why, in words."""

    benchmark: str
    row_id: str
    kind: str
    similarity: float
    detail: str = ""

    def describe(self) -> str:
        text = f"{self.kind} overlap with {self.benchmark} row {self.row_id} (similarity {self.similarity:.3f})"
        return f"{text}: {self.detail}" if self.detail else text


class Excluder(Protocol):
    """Anything that says whether a training problem overlaps a benchmark (built by
    :func:`vision_r1_plugins.overlap.load_index`)."""

    def match_problem(self, problem: Problem) -> OverlapMatch | None:
        """The strongest overlap of ``problem`` with an indexed benchmark row, or None."""
        ...
