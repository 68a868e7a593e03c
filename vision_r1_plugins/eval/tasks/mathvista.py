"""MathVista (lupantech/MathVista; HF AI4Math/MathVista): testmini and the test layout.

Official rule, re-derived from ``evaluation/calculate_score.py``: normalise the extracted answer to the row's
answer type, then compare strings exactly with the gold.

* Multiple choice: a ``(X)`` in the extraction is the letter X; a letter within the options picks its option;
  ANY other string is mapped to the option nearest to it by Levenshtein distance (first on ties). So a reply
  with no answer still gets an option: the chance credit that published numbers include.
* Integer: ``str(int(float(x)))``. Float: ``str(round(float(x), precision))``. List: ``str(x)``. A value that
  does not parse is wrong.

The official extractor is GPT-4; here the rules of :mod:`~vision_r1_plugins.eval.extraction` stand in for it
and :func:`~vision_r1_plugins.eval.answer_forms.bare_answer` reduces their answer to the bare form GPT-4 is
asked for. Where a reply states no answer, the official pipeline's own behaviour is followed: an empty reply
extracts as "" (``extract_answer.py`` returns it as is); a one-sentence reply that says the question lacks
information (or that it cannot help) is its own extraction (GPT-4 copies it); a reply that ends saying the
answer cannot be determined (or answered) extracts as "Cannot be determined" ("Cannot be answered"), as
GPT-4 writes it; anything else is "N/A".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rapidfuzz.distance import Levenshtein

from vision_r1_plugins.eval.answer_forms import bare_answer
from vision_r1_plugins.eval.extraction import Extraction
from vision_r1_plugins.eval.items import MULTI_CHOICE, EvalItem
from vision_r1_plugins.eval.tasks.spec import BenchmarkSpec, OfficialResult, register_benchmark

NO_ANSWER = "N/A"
_PAREN_LETTER = re.compile(r"\(([a-zA-Z])\)")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_UNDECIDABLE = re.compile(r"(?:cannot|can't|can not)\s+(?:be\s+)?(determined?|answered?)", re.IGNORECASE)
_NO_SOLUTION = re.compile(r"\s*(?:the\s+solution\s+cannot|the\s+image\b)", re.IGNORECASE)
_LACKS = re.compile(
    r"does not provide|doesn't provide|is not clear|is incomplete|seems to be incomplete|can't (?:help|process)"
)


def normalize(extraction: str, item: EvalItem) -> str | None:
    """``calculate_score.normalize_extracted_answer``: the extraction as the official scorer compares it."""
    if item.question_type == MULTI_CHOICE:
        choices = list(item.choices or ())
        if not choices:
            return None
        text = extraction.strip()
        letter = _PAREN_LETTER.search(text)
        if letter:
            text = letter.group(1).upper()
        letters = [chr(ord("A") + index) for index in range(len(choices))]
        if text in letters:
            return choices[letters.index(text)]
        return nearest_option(text, choices)
    try:
        if item.answer_type == "integer":
            return str(int(float(extraction)))
        if item.answer_type == "float":
            return str(round(float(extraction), int(item.precision if item.precision is not None else 0)))
    except (ValueError, OverflowError):
        return None
    return str(extraction)  # lists and text compare as written


def nearest_option(text: str, choices: Sequence[str]) -> str:
    """``get_most_similar``: the option at the smallest edit distance, the first one on ties."""
    distances = [Levenshtein.distance(text, option) for option in choices]
    return choices[distances.index(min(distances))]


def official_extraction(response: str, extraction: Extraction, item: EvalItem) -> str:
    """What the official extractor would hand to the scorer for this response."""
    if extraction.text is not None:
        return bare_answer(extraction.text, item, item.choices) or ""
    reply = response.strip()
    if not reply:
        return ""
    sentences = [part for part in _SENTENCE.split(reply) if part.strip()]
    if len(sentences) == 1 and _LACKS.search(sentences[0]):
        # GPT-4 copies a reply that blames the question or its text, and answers N/A for one that says the
        # image lacks the information or that no solution can be given.
        return NO_ANSWER if _NO_SOLUTION.match(sentences[0]) else sentences[0]
    verdict = _UNDECIDABLE.search(sentences[-1]) if sentences else None
    if verdict:  # "Thus, the answer cannot be determined from the given information."
        return "Cannot be determined" if verdict.group(1).startswith("determin") else "Cannot be answered"
    return NO_ANSWER


def official(response: str, extraction: Extraction, item: EvalItem) -> OfficialResult:
    normalized = normalize(official_extraction(response, extraction, item), item)
    return OfficialResult(normalized is not None and normalized == item.answer, normalized)


# testmini as released: GitHub's data/testmini.json (an object keyed by pid; the prompt is in data/query.json,
# so `question` is asked and the options appended) or HF's parquet with `query` and `decoded_image`.
MATHVISTA_TESTMINI = register_benchmark(
    BenchmarkSpec(
        "mathvista_testmini",
        "MathVista testmini (1,000 rows): nearest-option mapping and typed exact match, as calculate_score.py",
        official,
        id="pid",
        prompt=("query", "question"),
        images=("decoded_image", "image"),
        breakdowns=("metadata.category", "metadata.task", "metadata.grade", "metadata.context"),
    )
)
# The test split (5,141 rows) has the same layout; its answers are not public (scores come from the
# leaderboard), so rows without an answer are reported as such and not scored.
MATHVISTA_TEST = register_benchmark(
    replace(
        MATHVISTA_TESTMINI,
        name="mathvista_test",
        description="MathVista test (5,141 rows, answers withheld by the authors): generation only unless you "
        "hold answers",
        breakdowns=("metadata.category", "metadata.task"),
    )
)
