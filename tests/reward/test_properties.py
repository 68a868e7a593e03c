"""Properties a GRPO policy would probe: no separator lets two values through, no invisible character makes a
broken tag or an empty think block pass."""

from __future__ import annotations

import unicodedata
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from vision_r1_plugins.reward import compute_score
from vision_r1_plugins.reward.text import INVISIBLE_CLASS, has_content, strip_invisible

THINK = "<think>\nThe figure shows the lengths.\n</think>\n"

# (value as written, its exact value)
integers = st.integers(-999, 999).map(lambda n: (str(n), Fraction(n)))
decimals = st.tuples(st.integers(0, 99), st.integers(1, 99)).map(
    lambda p: (f"{p[0]}.{p[1]}", Fraction(f"{p[0]}.{p[1]}"))
)
fractions = st.tuples(st.integers(1, 30), st.integers(2, 30)).map(
    lambda p: (f"\\frac{{{p[0]}}}{{{p[1]}}}", Fraction(p[0], p[1]))
)
values = integers | decimals | fractions
numerals = integers | decimals  # values that start with a digit or sign, which spacing alone can separate

# Separators that join any two values, as format strings.
SEPARATORS = [
    "{a}, {b}", "{a}，{b}", "{a}、{b}", "{a}；{b}", "{a}; {b}", "{a} or {b}", "{a} OR {b}", "{a} and {b}",
    "{a}或{b}", "{a} 或者 {b}", "{a}和{b}", "{a} | {b}", "{a} |{b}", "{a} \\\\ {b}", "{a}\\\\{b}", "{a}\n{b}",
    "{a}~or~{b}", "{a} \\text{{ or }} {b}", "{a} \\texttt{{ or }} {b}", "{a} \\operatorname{{or}} {b}",
    "{a} \\mathrm{{or}} {b}", "{a} \\text{{and}} {b}", "{a} \\lor {b}", "{a} \\vee {b}", "{a} \\cup {b}",
    "${a}$ ${b}$", "${a}$, ${b}$", "{a} (or {b})", "{a} \\text{{ (or {b})}}", "{a} (possibly {b})",
    "\\begin{{cases}} x={a} \\\\ x={b} \\end{{cases}}", "\\begin{{aligned}} x &= {a} \\\\ x &= {b} \\end{{aligned}}",
    "x = {a} \\quad x = {b}", "x_1 = {a} \\quad x_2 = {b}", "x = {a}\nx = {b}", "\\boxed{{{a}}} \\boxed{{{b}}}",
    "\\boxed{{{a}}} or {b}", "{a}, \\boxed{{{b}}}",
]  # fmt: skip
# Spacing separates two values only when the second starts like a value ("4 \sqrt{2}" is a product).
SPACINGS = ["{a} {b}", "{a}  {b}", "{a} \\quad {b}", "{a} \\qquad {b}", "{a}~{b}", "{a}\\ {b}", "{a} \\; {b}"]


def _scores_against_both(template: str, first: tuple[str, Fraction], second: tuple[str, Fraction]) -> list[tuple]:
    """(reason, score) of the joined answer against each of the two values as the gold."""
    answer = template.format(a=first[0], b=second[0])
    results = [compute_score("prop", f"{THINK}<answer>{answer}</answer>", gold) for gold in (first[0], second[0])]
    return [(result["reason"], result["score"]) for result in results]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(SEPARATORS), values, values)
def test_two_distinct_values_joined_by_any_separator_score_zero(template: str, first, second) -> None:
    assume(first[1] != second[1])
    assert _scores_against_both(template, first, second) == [("multiple_candidates", 0.0)] * 2, template


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SPACINGS), numerals, numerals)
def test_two_numbers_joined_by_spacing_score_zero(template: str, first, second) -> None:
    assume(first[1] != second[1])
    assert _scores_against_both(template, first, second) == [("multiple_candidates", 0.0)] * 2, template


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(SEPARATORS), values)
def test_the_same_value_twice_is_one_answer(template: str, value) -> None:
    answer = template.format(a=value[0], b=value[0])
    result = compute_score("prop", f"{THINK}<answer>{answer}</answer>", value[0])
    assert result["score"] == 1.0, (answer, result)


INVISIBLES = [chr(code) for code in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x3164, 0x2800, 0x180E,
                                     0x202E, 0x2066, 0xE0020, 0x115F, 0xFFA0)]  # fmt: skip
invisible = st.sampled_from(INVISIBLES) | st.characters(categories=["Cf"])
GOOD = f"{THINK}<answer>5</answer>"
TAGS = ["<think>", "</think>", "<answer>", "</answer>"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(TAGS), st.data(), invisible)
def test_an_invisible_character_inside_a_tag_never_scores(tag: str, data: st.DataObject, char: str) -> None:
    position = data.draw(st.integers(1, len(tag) - 1))
    response = GOOD.replace(tag, tag[:position] + char + tag[position:], 1)
    result = compute_score("prop", response, "5")
    assert result["score"] == 0.0 and result["reason"] == "bad_tag", (response, result)


@settings(max_examples=200, deadline=None)
@given(st.lists(invisible | st.sampled_from([" ", "\n", "\t", "\u3000"]), min_size=1, max_size=12).map("".join))
def test_a_think_block_of_invisible_characters_is_empty(body: str) -> None:
    result = compute_score("prop", f"<think>{body}</think>\n<answer>5</answer>", "5")
    assert result["score"] == 0.0 and result["reason"] == "empty_think", (body, result)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(TAGS), st.sampled_from("аеосрхіＡＮＴｔｈｉｎｋａｅ"), st.data())
def test_a_lookalike_letter_in_a_tag_never_scores(tag: str, letter: str, data: st.DataObject) -> None:
    letters = [index for index, char in enumerate(tag) if char.isalpha()]
    position = data.draw(st.sampled_from(letters))
    response = GOOD.replace(tag, tag[:position] + letter + tag[position + 1 :], 1)
    assert compute_score("prop", response, "5")["score"] == 0.0, response


def test_invisible_class_covers_every_format_character() -> None:
    missing = [
        hex(code)
        for code in range(0x110000)
        if unicodedata.category(chr(code)) == "Cf" and strip_invisible(chr(code)) == chr(code)
    ]
    assert not missing
    assert all(not has_content(char) for char in INVISIBLE_CLASS if char != "-")
    assert has_content("\u200bx") and not has_content(" \u200b\n\u3164")


# Tokens that join a second value to the right one: math-verify, left alone, reads one of the two numbers.
JOINERS = ["6", "-6", "\\;6", "\\:6", "\\ 6", "&6", "#6", "@6", "%6", "^6", "_6", "`6", "?6", "!6", "*6", "\\\\ 6",
           "(6)", "\\quad6", "~6", "\u30006", "\uff0c6", "\u30016", "·6", "•6", "…6", "→6", "⇒6", "\\to 6",
           "\\Rightarrow 6", "\\implies 6", "\\vdots 6", "\\cdots 6", "\\ldots 6", "\\dots 6", "...6", "..6", ". 6",
           ": 6", "; 6", "\\colon 6", "\\mid 6", "\\vert 6", "\\parallel 6", "\\perp 6", "\\% 6"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(JOINERS), st.sampled_from(["{v} {j}", "{v}{j}", "{j} {v}", "{j}{v}"]), st.sampled_from("56"))
def test_a_second_value_joined_by_any_token_never_scores(joiner: str, shape: str, gold: str) -> None:
    answer = shape.format(v="5", j=joiner)
    result = compute_score("prop", f"{THINK}<answer>{answer}</answer>", gold)
    assert result["score"] == 0.0, (answer, gold, result)
