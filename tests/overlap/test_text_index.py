from __future__ import annotations

from typing import Any

import pytest

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.overlap.normalize import normalise
from vision_r1_plugins.overlap.text_index import TextIndex, TextRules, jaccard, shingles

LONG = (
    "A ladder 10 metres long leans against a vertical wall so that its foot is 6 metres from the wall. "
    "How high up the wall does the top of the ladder reach, and what angle does it make with the ground?"
)


def index_of(*texts: str, group: str = "bench", rules: TextRules | None = None) -> TextIndex:
    index = TextIndex(rules or TextRules())
    for entry, text in enumerate(texts):
        index.add(entry, normalise(text), group)
    index.freeze()
    return index


def test_an_exact_copy_is_an_exact_hit() -> None:
    hits = index_of(LONG, "Something else entirely about a triangle with three equal sides").query(normalise(LONG))
    assert [(hit.entry, hit.exact, hit.similarity) for hit in hits] == [(0, True, 1.0)]


def test_a_copy_with_an_added_instruction_is_a_near_hit_with_its_measured_similarity() -> None:
    instructed = "Please answer carefully. " + LONG + " Give the height in metres."
    hits = index_of(LONG).query(normalise(instructed))
    assert len(hits) == 1 and not hits[0].exact
    expected = jaccard(shingles(normalise(LONG)), shingles(normalise(instructed)))
    assert hits[0].similarity == pytest.approx(expected) and 0.8 <= expected < 1.0


def test_a_copy_with_a_dropped_word_is_a_near_hit() -> None:
    dropped = LONG.replace("a vertical wall", "a wall")
    assert [hit.exact for hit in index_of(LONG).query(normalise(dropped))] == [False]


@pytest.mark.parametrize(
    ("benchmark", "training"),
    [
        pytest.param(
            "The side lengths of the rectangle are shown in the figure. What is its area?",
            "The side lengths of the rectangle are shown in the figure. What is its perimeter?",
            id="area-perimeter",
        ),
        pytest.param(LONG, LONG.replace("leans against", "rests against"), id="verb"),
        pytest.param(LONG, LONG.replace("vertical wall", "slanted wall"), id="adjective"),
        pytest.param(LONG, LONG.replace("with the ground", "with the wall"), id="noun"),
        pytest.param(
            "In the figure, AB is parallel to CD and angle ABC is shown. Find the measure of angle BCD.",
            "In the figure, AB is parallel to CD and angle ABC is shown. Find the measure of angle ADC.",
            id="point-names",
        ),
        pytest.param(LONG, LONG.replace("ladder reach", "ladder reach, in \\sqrt{} form"), id="control"),
    ],
)
def test_a_content_word_substitution_is_another_question(benchmark: str, training: str, request: Any) -> None:
    similarity = jaccard(shingles(normalise(benchmark)), shingles(normalise(training)))
    hits = index_of(benchmark).query(normalise(training))
    if request.node.callspec.id == "control":  # words added, none swapped: still the same question
        assert [hit.exact for hit in hits] == [False]
        return
    assert similarity >= 0.8, "the pair must pass the Jaccard threshold for the rule to be what stops it"
    assert hits == []


def test_reordered_options_and_scaffolding_still_match_exactly() -> None:
    benchmark = "Which of the following is the value of x in the equation shown in the figure?"
    training = f"Hint: Please answer the question.\nQuestion: {benchmark}\nChoices:\n(A) 7\n(B) 3\n(C) 5"
    index = TextIndex()
    index.add(0, normalise(benchmark, ["3", "5", "7"]), "bench")
    index.freeze()
    assert [(hit.entry, hit.exact) for hit in index.query(normalise(training))] == [(0, True)]


def test_same_template_other_numbers_is_not_a_match() -> None:
    # 36 of 39 shingles shared: above the threshold on text alone, but another problem.
    variant = LONG.replace("6 metres", "8 metres")
    assert jaccard(shingles(normalise(LONG)), shingles(normalise(variant))) >= 0.8
    assert index_of(LONG).query(normalise(variant)) == []


def test_short_template_questions_never_match_on_text() -> None:
    index = index_of("What is the area of the triangle?", "Find x.")
    assert index.short == {0, 1}
    assert index.query(normalise("What is the area of the triangle?")) == []
    assert index.query(normalise("Find x")) == []


def test_a_text_shared_by_rows_of_one_benchmark_is_a_template() -> None:
    instruction = "According to the question shown in the image, please first conduct reasoning and answer."
    index = index_of(instruction, instruction, LONG)
    assert index.shared == {0, 1}
    assert index.query(normalise(instruction)) == []
    assert [hit.entry for hit in index.query(normalise(LONG))] == [2]


def test_the_same_text_in_two_benchmarks_matches_both() -> None:
    index = TextIndex()
    index.add(0, normalise(LONG), "mathvista")
    index.add(1, normalise(LONG), "mathverse")
    index.freeze()
    assert sorted(hit.entry for hit in index.query(normalise(LONG))) == [0, 1]


def test_below_the_threshold_is_not_reported() -> None:
    other = "A ladder leans against a wall. Describe the forces that act on it while a painter climbs it slowly."
    assert index_of(LONG).query(normalise(other)) == []


def test_bad_thresholds_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="--text-threshold"):
        TextRules(threshold=1.5)
