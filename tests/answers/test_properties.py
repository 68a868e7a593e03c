"""Properties over the whole space, not lists: what joins two values, what marks a value, how a value is restated.

* two different values joined by ANY character of the Unicode categories a policy could use as a separator
  (Sm, So, Sk, Pd, Po, Ps/Pe, Zs, Mn, Me, Cf, Lo), by ANY LaTeX command of a complete command list, or by ANY
  word never score against either value;
* a value with ANY combining mark attached never scores as the bare value;
* the same value restated in any accepted form always scores.

The values are whole numbers from 2 to 999 that no single operation turns into one another (a - b = b, a / b = b
and the like are excluded): "6 - 3" is the value 3, not a hedge between 6 and 3.
"""

from __future__ import annotations

import string
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from vision_r1_plugins.reward import compute_score

THINK = "<think>\nThe figure shows the lengths.\n</think>\n"
SEPARATOR_CATEGORIES = ["Sm", "So", "Sk", "Pd", "Po", "Ps", "Pe", "Zs", "Mn", "Me", "Cf", "Lo"]
SHAPES = ["{a}{j}{b}", "{a} {j} {b}", "{a}{j} {b}", "{a} {j}{b}"]


def _score(answer: str, gold: str) -> float:
    return compute_score("prop", f"{THINK}<answer>{answer}</answer>", gold)["score"]


def _unrelated(first: int, second: int) -> bool:
    """No single arithmetic step turns one into the other (or into itself)."""
    low, high = sorted((first, second))
    return low != high and high != 2 * low and high != low * low and low > 1


values = st.integers(2, 999)


@settings(max_examples=400, deadline=None)
@given(values, values, st.characters(categories=SEPARATOR_CATEGORIES), st.sampled_from(SHAPES))
def test_two_values_joined_by_any_character_never_score(first: int, second: int, joiner: str, shape: str) -> None:
    assume(_unrelated(first, second))
    answer = shape.format(a=first, j=joiner, b=second)
    for gold in (str(first), str(second)):
        assert _score(answer, gold) == 0.0, (answer, gold)


def _latex_commands() -> list[str]:
    """Every macro of pylatexenc's LaTeX database (942 names: text and math commands, symbols, accents)."""
    latex2text = pytest.importorskip("pylatexenc.latex2text")
    database = latex2text.get_default_latex_context_db()
    names = {spec.macroname for category in database.categories() for spec in database.iter_macro_specs([category])}
    return sorted(names)


@settings(max_examples=400, deadline=None)
@given(values, values, st.data(), st.sampled_from(["{a} \\{j} {b}", "{a}\\{j} {b}", "{a} \\{j}{{{b}}}"]))
def test_two_values_joined_by_any_latex_command_never_score(first: int, second: int, data, shape: str) -> None:
    assume(_unrelated(first, second))
    command = data.draw(st.sampled_from(_latex_commands()))
    answer = shape.format(a=first, j=command, b=second)
    for gold in (str(first), str(second)):
        assert _score(answer, gold) == 0.0, (answer, gold)


COMMON_WORDS = (
    "or and nor but so thus therefore hence then wait actually maybe perhaps possibly probably likely approximately "
    "about around roughly nearly almost exactly only just not never no yes is are was equals to from between over "
    "under plus minus times divided by of per in at on else otherwise alternatively instead rather than versus vs "
    "either neither unless except if when which that this the a an it its answer final result value correct wrong "
    "one two three half hundred cm m units degrees percent point dot comma"
).split()
words = st.sampled_from(COMMON_WORDS) | st.text(alphabet=string.ascii_letters, min_size=1, max_size=9)


@settings(max_examples=400, deadline=None)
@given(values, values, words, st.sampled_from(["{a} {j} {b}", "{a}, {j} {b}", "{a} {j}, {b}"]))
def test_two_values_joined_by_any_word_never_score(first: int, second: int, word: str, shape: str) -> None:
    assume(_unrelated(first, second))
    answer = shape.format(a=first, j=word, b=second)
    for gold in (str(first), str(second)):
        assert _score(answer, gold) == 0.0, (answer, gold)


@settings(max_examples=400, deadline=None)
@given(values, st.characters(categories=["Mn", "Me"]), st.data())
def test_a_value_with_a_combining_mark_never_scores_as_the_bare_value(value: int, mark: str, data) -> None:
    written = str(value)
    position = data.draw(st.integers(1, len(written)))
    answer = written[:position] + mark + written[position:]
    assert _score(answer, written) == 0.0, repr(answer)


NUMBER_WORDS = "zero one two three four five six seven eight nine ten eleven twelve".split()


def _spellings(value: Fraction) -> list[str]:
    """Ways to write one value that the answer language accepts."""
    spelled = [
        f"\\frac{{{value.numerator}}}{{{value.denominator}}}",
        f"{value.numerator}/{value.denominator}",
        f"\\dfrac{{{value.numerator * 2}}}{{{value.denominator * 2}}}",
    ]
    if value.denominator == 1:
        spelled += [str(value.numerator), f"{value.numerator}.0", f"{value.numerator:,}"]
        if value.numerator < len(NUMBER_WORDS):
            spelled.append(NUMBER_WORDS[value.numerator])
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator == 1:  # a terminating decimal
        spelled.append(str(float(value)) if value.denominator != 1 else f"{value.numerator}.00")
    return spelled


WRAPPERS = ["{}", "${}$", "\\boxed{{{}}}", "**{}**", "\\({}\\)", "$\\boxed{{{}}}$", "\\text{{{}}}"]
RESTATED = ["{a} = {b}", "{a} ({b})", "{a}, i.e. {b}", "{a} or {b}", "{a}, that is, {b}", "x = {a} = {b}"]
LEADS = ["{}", "The answer is {}.", "Final Answer: {}", "Therefore, {}", "x = {}", "The value is {}.", "答案是{}"]


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 60), st.integers(1, 12), st.data())
def test_the_same_value_restated_in_any_accepted_form_always_scores(numerator: int, denominator: int, data) -> None:
    value = Fraction(numerator, denominator)
    spellings = _spellings(value)
    first, second = data.draw(st.sampled_from(spellings)), data.draw(st.sampled_from(spellings))
    wrap = data.draw(st.sampled_from(WRAPPERS))
    joined = data.draw(st.sampled_from(RESTATED)).format(a=wrap.format(first), b=wrap.format(second))
    answer = data.draw(st.sampled_from(LEADS)).format(joined)
    gold = data.draw(st.sampled_from(spellings))
    assert _score(answer, gold) == 1.0, (answer, gold)


# The separators and joiners the earlier rules listed one by one (issue 13), kept as cases: each still scores 0.
SEPARATORS = [
    "{a}, {b}",
    "{a}，{b}",
    "{a}、{b}",
    "{a}；{b}",
    "{a}; {b}",
    "{a} or {b}",
    "{a} OR {b}",
    "{a} and {b}",
    "{a}或{b}",
    "{a} 或者 {b}",
    "{a}和{b}",
    "{a} | {b}",
    "{a} |{b}",
    "{a} \\\\ {b}",
    "{a}\\\\{b}",
    "{a}\n{b}",
    "{a}~or~{b}",
    "{a} \\text{{ or }} {b}",
    "{a} \\texttt{{ or }} {b}",
    "{a} \\operatorname{{or}} {b}",
    "{a} \\mathrm{{or}} {b}",
    "{a} \\text{{and}} {b}",
    "{a} \\lor {b}",
    "{a} \\vee {b}",
    "{a} \\cup {b}",
    "${a}$ ${b}$",
    "${a}$, ${b}$",
    "{a} (or {b})",
    "{a} \\text{{ (or {b})}}",
    "{a} (possibly {b})",
    "\\begin{{cases}} x={a} \\\\ x={b} \\end{{cases}}",
    "\\begin{{aligned}} x &= {a} \\\\ x &= {b} \\end{{aligned}}",
    "x = {a} \\quad x = {b}",
    "x_1 = {a} \\quad x_2 = {b}",
    "x = {a}\nx = {b}",
    "\\boxed{{{a}}} \\boxed{{{b}}}",
    "\\boxed{{{a}}} or {b}",
    "{a}, \\boxed{{{b}}}",
]
SPACINGS = ["{a} {b}", "{a}  {b}", "{a} \\quad {b}", "{a} \\qquad {b}", "{a}~{b}", "{a}\\ {b}", "{a} \\; {b}"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SEPARATORS + SPACINGS), values, values)
def test_the_separators_listed_before_still_never_score(template: str, first: int, second: int) -> None:
    assume(_unrelated(first, second))
    answer = template.format(a=first, b=second)
    for gold in (str(first), str(second)):
        assert _score(answer, gold) == 0.0, (answer, gold)


# Tokens that join a second value to the right one: math-verify, left alone, reads one of the two numbers.
JOINERS = [
    "6",
    "-6",
    "\\;6",
    "\\:6",
    "\\ 6",
    "&6",
    "#6",
    "@6",
    "%6",
    "^6",
    "_6",
    "`6",
    "?6",
    "!6",
    "*6",
    "\\\\ 6",
    "(6)",
    "\\quad6",
    "~6",
    "\u30006",
    "\uff0c6",
    "\u30016",
    "·6",
    "•6",
    "…6",
    "→6",
    "⇒6",
    "\\to 6",
    "\\Rightarrow 6",
    "\\implies 6",
    "\\vdots 6",
    "\\cdots 6",
    "\\ldots 6",
    "\\dots 6",
    "...6",
    "..6",
    ". 6",
    ": 6",
    "; 6",
    "\\colon 6",
    "\\mid 6",
    "\\vert 6",
    "\\parallel 6",
    "\\perp 6",
    "\\% 6",
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(JOINERS), st.sampled_from(["{v} {j}", "{v}{j}", "{j} {v}", "{j}{v}"]), st.sampled_from("56"))
def test_a_second_value_joined_by_any_token_never_scores(joiner: str, shape: str, gold: str) -> None:
    answer = shape.format(v="5", j=joiner)
    assert _score(answer, gold) == 0.0, (answer, gold)
