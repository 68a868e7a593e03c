from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vision_r1_plugins.overlap.normalize import normalise, split_options, tokens_of

QUESTION = "In triangle ABC, AB = AC and angle A = 40 degrees. Find the measure of angle B."


@pytest.mark.parametrize(
    "variant",
    [
        "in triangle abc, ab = ac and angle a = 40 degrees. find the measure of angle b.",  # case
        "In  triangle ABC,\n AB = AC  and angle A = 40 degrees.\tFind the measure of angle B",  # whitespace
        "In triangle ABC; AB = AC, and angle A = 40 degrees! Find the measure of angle B?",  # punctuation
        "<image>In triangle ABC, AB = AC and angle A = 40 degrees. Find the measure of angle B.",  # placeholder
        "Hint: Please answer the question.\nQuestion: In triangle ABC, AB = AC and angle A = 40 degrees. "
        "Find the measure of angle B.",  # MathVista's query preamble
        "In triangle ＡＢＣ, AB = AC and angle A = 40 degrees. Find the measure of angle B.",  # full-width (NFKC)
        "In triangle ABC, AB = AC and angle A = 40.0 degrees. Find the measure of angle B.",  # 40.0 is 40
    ],
)
def test_variants_of_one_question_normalise_alike(variant: str) -> None:
    assert normalise(variant) == normalise(QUESTION)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (r"Compute $\frac {1}{2} + x^{2}$ for x = 3", r"compute \frac{1}{2}+x^2 for x=3"),
        (r"Evaluate \left( a + b \right) when $a\,=\,2$", r"Evaluate (a+b) when a=2"),
        (r"Find \dfrac{3}{4} of \(12\)", r"find \frac{3}{4} of 12"),
        (r"Solve $\displaystyle \sqrt{16}$ \quad now", r"solve \sqrt{16} now"),
    ],
)
def test_latex_spacing_and_delimiters_do_not_matter(left: str, right: str) -> None:
    assert normalise(left) == normalise(right)


def test_meaningful_symbols_and_numbers_stay() -> None:
    assert normalise("x + 1 = 2") != normalise("x - 1 = 2")
    assert normalise("angle A = 40") != normalise("angle A = 50")


def test_options_are_an_unordered_set_wherever_they_are_listed() -> None:
    column = normalise("What is the perimeter?", ["8", "15", "16", "30"])
    reordered = normalise("What is the perimeter?", ["30", "16", "8", "15"])
    inline = normalise("What is the perimeter? Choices: (A) 16 (B) 8 (C) 30 (D) 15")
    lines = normalise("What is the perimeter?\nChoices:\nA: 15\nB: 16\nC: 8\nD: 30")
    wemath = normalise("What is the perimeter?\nOptions: A. 8;B. 15; C. 16;D. 30")
    assert column == reordered == inline == lines == wemath
    assert column.options == ("15", "16", "30", "8")
    assert normalise("What is the perimeter?", ["8", "15", "16", "31"]) != column


def test_split_options_leaves_text_without_a_list_alone() -> None:
    assert split_options("Choices: are hard") == ("Choices: are hard", None)
    stem, options = split_options("Pick one.\nChoices:\n(A) yes\n(B) no")
    assert stem.strip() == "Pick one." and options == ("yes", "no")


def test_cjk_characters_are_tokens() -> None:
    assert tokens_of("如图，在△ABC中") == ["如", "图", "在", "△", "abc", "中"]


_SPACES = st.text(alphabet=" \t\n", min_size=1, max_size=3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(QUESTION.split(" ")), min_size=1, max_size=30), st.data())
def test_whitespace_and_case_never_change_the_canonical_form(words: list[str], data: st.DataObject) -> None:
    joined = "".join(word + data.draw(_SPACES) for word in words)
    shouted = "".join(c.upper() if data.draw(st.booleans()) else c for c in joined)
    assert normalise(shouted).canonical == normalise(" ".join(words)).canonical
