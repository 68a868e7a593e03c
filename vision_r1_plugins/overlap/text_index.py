"""The text side of the index: exact matches by hash of the normalised text, near matches by MinHash + LSH.

Only the benchmark rows are indexed (thousands); training rows are queried one at a time, so memory does not grow
with the training set. LSH candidates are verified with the exact Jaccard similarity of the shingle sets (kept per
benchmark row), so a reported similarity is measured, never the MinHash estimate.

The rules that keep distinct problems sharing a template apart (``What is the area of the triangle?`` over many
figures) are in :class:`TextRules`: a short stem never matches on text alone; a near match must carry the same
numbers, and one side's content words must all be in the other (a one-word substitution, ``area`` for
``perimeter``, is another question however high its Jaccard similarity); a text that more than ``max_shared``
rows of one benchmark share identifies none of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.overlap.deps import require
from vision_r1_plugins.overlap.normalize import NormalText, contains_content, content_tokens, same_numbers

__all__ = ["TextHit", "TextIndex", "TextRules", "jaccard", "shingles"]

SHINGLE_WORDS = 3
# 128 permutations: the Jaccard estimate's standard error is ~0.035 at J = 0.8, and candidates are verified
# exactly anyway; more permutations cost time per training row for no better answer.
NUM_PERM = 128
# LSH finds candidates with a lower threshold than the one reported, its bands weighted for recall (false negatives
# cost 9 times false positives), so that pairs just above the threshold are not lost to the estimate's noise: at the
# default 0.8 a pair with Jaccard 0.8 is a candidate with probability 0.998 (21 bands of 6 rows). Candidates cost
# one exact set comparison each; the exact Jaccard decides.
LSH_MARGIN = 0.15
LSH_WEIGHTS = (0.1, 0.9)


@dataclass(frozen=True)
class TextRules:
    """When two texts are the same problem. ``threshold``: the exact Jaccard similarity of the shingle sets at or
    above which a pair is a near match. ``min_tokens``: a stem shorter than this (``Find x.``, ``How many
    apples are there?``) names a template, not a problem, and never matches on text alone, exact or near; such
    rows are matched by their image. ``max_shared``: a text that more rows of one benchmark share than this is a
    template (MathVerse's Vision Only instruction, 788 rows; a DynaMath question over its ten generated figures)
    and matches only through the image. The default 1 also sends MathVerse's Text Lite and Vision Intensive
    versions of a problem (one text, one figure) to the image, which finds them both."""

    threshold: float = 0.8
    min_tokens: int = 8
    max_shared: int = 1
    shingle_words: int = SHINGLE_WORDS
    num_perm: int = NUM_PERM

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise UsageError(f"--text-threshold must be in (0, 1], got {self.threshold}")
        if self.max_shared < 1:
            raise UsageError(f"max_shared must be >= 1, got {self.max_shared}")
        if self.min_tokens < 1:
            raise UsageError(f"min_tokens must be >= 1, got {self.min_tokens}")


def shingles(text: NormalText, words: int = SHINGLE_WORDS) -> frozenset[str]:
    """Word ``words``-grams of the stem, plus each option as one shingle (the options are a set)."""
    stem = text.stem
    grams = {" ".join(stem[i : i + words]) for i in range(len(stem) - words + 1)} if len(stem) >= words else set()
    if stem and not grams:
        grams.add(" ".join(stem))
    return frozenset(grams | {f"\x1eoption {option}" for option in text.options})


def jaccard(left: frozenset[str], right: frozenset[str]) -> float:
    if not left and not right:
        return 0.0
    return len(left & right) / len(left | right)


@dataclass(frozen=True)
class TextHit:
    """A verified text match: the benchmark row's position in the index, exact or near, and the similarity."""

    entry: int
    exact: bool
    similarity: float


class TextIndex:
    """Benchmark texts by exact digest and by MinHash LSH. Add every benchmark text with :meth:`add`, then call
    :meth:`freeze` (which applies the shared-text rule) before :meth:`query`."""

    def __init__(self, rules: TextRules = TextRules()) -> None:
        datasketch = require("datasketch")
        self.rules = rules
        template = datasketch.MinHash(num_perm=rules.num_perm)
        # One set of permutations for every MinHash: building them is most of a MinHash's construction cost.
        self._permutations, self._scheme = template.permutations, getattr(template, "scheme", None)
        threshold = max(0.3, rules.threshold - LSH_MARGIN)
        self._lsh = datasketch.MinHashLSH(threshold=threshold, num_perm=rules.num_perm, weights=LSH_WEIGHTS)
        self._by_digest: dict[bytes, list[int]] = defaultdict(list)
        self._texts: dict[int, NormalText] = {}
        self._shingles: dict[int, frozenset[str]] = {}
        self._groups: dict[int, str] = {}  # entry -> benchmark it belongs to, for the shared-text rule
        self.shared: set[int] = set()
        self.short: set[int] = set()

    def _minhash(self, grams: Iterable[str]) -> Any:
        datasketch = require("datasketch")
        options = {"scheme": self._scheme} if self._scheme else {}  # datasketch >= 2 asks for it
        minhash = datasketch.MinHash(num_perm=self.rules.num_perm, permutations=self._permutations, **options)
        minhash.update_batch([gram.encode("utf-8") for gram in grams])
        return minhash

    def add(self, entry: int, text: NormalText, group: str) -> None:
        """Index benchmark row ``entry`` (a caller's position) of benchmark ``group``."""
        self._texts[entry] = text
        self._groups[entry] = group
        if len(text.stem) < self.rules.min_tokens:
            self.short.add(entry)
            return
        grams = shingles(text, self.rules.shingle_words)
        self._shingles[entry] = grams
        self._by_digest[text.digest].append(entry)
        self._lsh.insert(entry, self._minhash(grams))

    def freeze(self) -> None:
        """Mark the template texts (:attr:`TextRules.max_shared`): they identify no single row, so they match
        only through the image."""
        for entries in self._by_digest.values():
            groups: dict[str, list[int]] = defaultdict(list)
            for entry in entries:
                groups[self._groups[entry]].append(entry)
            for members in groups.values():
                if len(members) > self.rules.max_shared:
                    self.shared.update(members)

    def query(self, text: NormalText) -> list[TextHit]:
        """Benchmark rows whose text matches ``text`` under the rules, best first."""
        if len(text.stem) < self.rules.min_tokens:
            return []
        hits: dict[int, TextHit] = {}
        for entry in self._by_digest.get(text.digest, ()):
            if entry not in self.shared:
                hits[entry] = TextHit(entry, True, 1.0)
        grams = shingles(text, self.rules.shingle_words)
        for entry in self._lsh.query(self._minhash(grams)):
            if entry in hits or entry in self.shared:
                continue
            similarity = jaccard(grams, self._shingles[entry])
            if similarity < self.rules.threshold:
                continue
            other = self._texts[entry]
            # Same template, other numbers (a DynaMath variant, a re-generated exercise), or a content word swapped
            # for another: not the same problem (deny by default; an added instruction or dropped word passes).
            if same_numbers(text, other) and contains_content(content_tokens(text), content_tokens(other)):
                hits[entry] = TextHit(entry, False, similarity)
        return sorted(hits.values(), key=lambda hit: (-hit.similarity, not hit.exact, hit.entry))
